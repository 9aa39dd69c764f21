//! Every admin response shape, pinned to its bytes.

use super::json::{
    AgentAddedJson, AgentsJson, ConversationJson, ProfilesJson, QueueJson, StatsJson,
};
use crate::domain::{
    AccountId, Agent, AgentId, Author, Channel, Conversation, ConversationId, Customer, CustomerId,
    FollowUp, Message, MessageId, Passed, PassedOver, Presence, Profile, RoutingNote, State,
    Ticket,
};
use crate::engine::{
    AgentView, ConversationView, FollowUpEntry, ProfileView, QueueEntry, QueueView, ScheduleStats,
    StatsView,
};
use crate::golden::{at, check, sam as profile};

fn ticket() -> Ticket {
    Ticket {
        reason: "bot_stuck".into(),
        priority: 1,
        skills: vec!["billing".into()],
        queued_at: at(1_000),
        note: Some("wants a refund".into()),
        told_at: Some(at(2_000)),
        patience_from: Some(at(1_000)),
        apologies: 2,
    }
}

fn conversation(state: State) -> Conversation {
    let mut c = Conversation::new(
        ConversationId(4),
        AccountId::from("acme"),
        Customer {
            channel: Channel::Webhook,
            id: CustomerId::from("u1"),
            name: Some("Jo".into()),
        },
        at(0),
    );
    c.state = state;
    c.episode = 2;
    c.epoch = 3;
    c.fallbacks = 1;
    c.greeted = true;
    c.next_seq = 5;
    c.declined = vec![AgentId(2)];
    c.routing = vec![RoutingNote {
        at: at(1_500),
        offered_to: AgentId(1),
        named_by: Some(AgentId(3)),
        passed_over: vec![PassedOver {
            why: Passed::MissingSkill,
            count: 7,
            agents: vec![AgentId(2), AgentId(5)],
        }],
    }];
    c.rule = Some("wants-a-human".into());
    c.bot_since = Some(at(10));
    c.deadline = Some(at(120_000));
    c.updated_at = at(3_000);
    c.revision = 9;
    c
}

#[test]
fn admin_responses_keep_their_bytes() {
    let json = |v: &dyn erased::Json| v.text();
    let states = [
        ("bot", State::Bot),
        ("queued", State::Queued(ticket())),
        (
            "offered",
            State::Offered {
                ticket: ticket(),
                agent: AgentId(1),
                expires_at: at(31_000),
            },
        ),
        (
            "with_agent",
            State::WithAgent {
                agent: AgentId(1),
                since: at(4_000),
                priority: 1,
                replied: true,
                nudged: true,
                heard_at: Some(at(4_500)),
                name: "Sam".into(),
            },
        ),
        ("closed", State::Closed),
    ];
    for (name, state) in states {
        let mut c = conversation(state);
        if name == "closed" {
            c.follow_up = Some(FollowUp {
                since: at(2_500),
                message: Some(MessageId {
                    conversation: c.id,
                    seq: 4,
                }),
            });
        }
        let view = ConversationView {
            conversation: c,
            failed: Vec::new(),
            transcript: vec![Message {
                id: MessageId {
                    conversation: ConversationId(4),
                    seq: 4,
                },
                from: Author::Agent,
                text: "Hi, I'm Sam.".into(),
                payload: None,
                quick_replies: Vec::new(),
                attachments: Vec::new(),
                profile: Some(profile()),
                at: at(4_000),
                epoch: 3,
            }],
        };
        let body = ConversationJson::from(&view);
        check(&format!("admin/conversation_{name}"), &json(&body));
    }
    let queue = QueueView {
        account: AccountId::from("acme"),
        entries: vec![QueueEntry {
            position: 1,
            conversation: ConversationId(4),
            customer: "u1".into(),
            ticket: ticket(),
        }],
        follow_ups: vec![FollowUpEntry {
            conversation: ConversationId(6),
            customer: "u9".into(),
            since: at(2_500),
            message: Some(MessageId {
                conversation: ConversationId(6),
                seq: 3,
            }),
        }],
    };
    check("admin/queue", &json(&QueueJson::from(&queue)));
    let agent = Agent {
        id: AgentId(1),
        account: AccountId::from("acme"),
        name: "Sam Lee".into(),
        profile: profile(),
        skills: vec!["billing".into()],
        capacity: 3,
    };
    let agents = vec![AgentView {
        agent: agent.clone(),
        presence: Some(Presence::Available),
        connections: 2,
        disabled: false,
    }];
    check("admin/agents", &json(&AgentsJson::new(&agents)));
    let added = AgentAddedJson::new(&agent, "bt_x".into());
    check("admin/agent_added", &json(&added));
    let profiles = vec![
        ProfileView {
            account: AccountId::from("acme"),
            agent: None,
            bot: true,
            profile: Profile {
                id: "acme-bot".into(),
                name: "Acme Assistant (bot)".into(),
                avatar: "https://example.com/bot.png".into(),
            },
        },
        ProfileView {
            account: AccountId::from("acme"),
            agent: Some(AgentId(1)),
            bot: false,
            profile: profile(),
        },
    ];
    check("admin/profiles", &json(&ProfilesJson::new(&profiles)));
    let stats = StatsView {
        conversations: 12,
        resident: 5,
        scheduler: ScheduleStats {
            pending: 3,
            fired: 40,
            late_p50_ms: 0,
            late_p99_ms: 5,
            late_max_ms: 62,
        },
    };
    check("admin/stats", &json(&StatsJson::from(&stats)));
}

#[test]
fn misdirected_refusals_keep_their_bytes() {
    use super::ApiError;
    let account = ApiError::Misdirected("acme".into()).body().to_string();
    check("admin/misdirected", &account);
    let user = ApiError::MisdirectedUser("3001".into()).body().to_string();
    check("admin/misdirected_twitter", &user);
}

mod erased {
    pub trait Json {
        fn text(&self) -> String;
    }

    impl<T: serde::Serialize> Json for T {
        fn text(&self) -> String {
            serde_json::to_string(self).unwrap()
        }
    }
}
