//! Every frame of protocol 1, pinned to its bytes: a change to the domain must not change
//! what agents' clients read or send.

use super::*;
use crate::agents::render::render;
use crate::domain::{
    AccountId, Agent, AgentId, Author, Card, Channel, Customer, CustomerId, LetGo, Message,
    MessageId, Notice, Presence, Profile, QuickReply, Refusal, SetAway, Ticket, Withdrawn,
};
use crate::engine::ToAgent;
use crate::golden::{at, check, sam as profile};

fn customer() -> Customer {
    Customer {
        channel: Channel::Webhook,
        id: CustomerId::from("u1"),
        name: Some("Jo".into()),
    }
}

fn ticket() -> Ticket {
    Ticket {
        reason: "customer_request".into(),
        priority: 2,
        skills: vec!["billing".into()],
        queued_at: at(1_000),
        note: Some("wants a refund".into()),
        told_at: Some(at(1_000)),
        patience_from: Some(at(1_000)),
        apologies: 1,
    }
}

fn conversation() -> ConversationId {
    ConversationId(4)
}

/// A customer message with a payload, and a bot reply with quick replies and its profile.
fn transcript() -> Vec<Message> {
    let id = |seq| MessageId {
        conversation: conversation(),
        seq,
    };
    vec![
        Message {
            id: id(0),
            from: Author::Customer,
            text: "I want a person".into(),
            payload: Some("escalate".into()),
            quick_replies: Vec::new(),
            attachments: Vec::new(),
            profile: None,
            at: at(0),
            epoch: 0,
        },
        Message {
            id: id(1),
            from: Author::Bot,
            text: "Connecting you with a person.".into(),
            payload: None,
            quick_replies: vec![QuickReply {
                label: "Keep waiting".into(),
                payload: "baton:keep-waiting".into(),
            }],
            attachments: Vec::new(),
            profile: Some(Profile {
                id: "acme-bot".into(),
                name: "Acme Assistant (bot)".into(),
                avatar: "https://example.com/bot.png".into(),
            }),
            at: at(1),
            epoch: 0,
        },
    ]
}

fn agent_message() -> Message {
    Message {
        id: MessageId {
            conversation: conversation(),
            seq: 2,
        },
        from: Author::Agent,
        text: "Hi, I'm Sam, a person on the Acme team.".into(),
        payload: None,
        quick_replies: Vec::new(),
        attachments: Vec::new(),
        profile: Some(profile()),
        at: at(5_000),
        epoch: 1,
    }
}

fn card(ticket: Option<Ticket>) -> Card {
    Card {
        id: conversation(),
        account: AccountId::from("acme"),
        customer: customer(),
        ticket,
        transcript: transcript(),
        earlier: false,
    }
}

/// Renders what the engine tells a socket, as the session sends it.
fn told(item: ToAgent) -> String {
    render(&item)
}

#[test]
fn server_frames_keep_their_bytes() {
    let agent = Agent {
        id: AgentId(1),
        account: AccountId::from("acme"),
        name: "Sam Lee".into(),
        profile: profile(),
        skills: vec!["billing".into(), "retention".into()],
        capacity: 3,
    };
    let events: Vec<(&str, Notice)> = vec![
        (
            "offer",
            Notice::Offer {
                conversation: card(Some(ticket())),
                expires_at: at(31_000),
            },
        ),
        (
            "offer_withdrawn",
            Notice::OfferWithdrawn {
                conversation: conversation(),
                why: Withdrawn::CustomerLeft,
            },
        ),
        (
            "assigned",
            Notice::Assigned {
                conversation: card(None),
            },
        ),
        (
            "message",
            Notice::Message {
                conversation: conversation(),
                message: agent_message(),
            },
        ),
        (
            "closed",
            Notice::Closed {
                conversation: conversation(),
                why: LetGo::CustomerIdle,
            },
        ),
        (
            "presence",
            Notice::SetAway {
                why: SetAway::OffersLapsed,
            },
        ),
        (
            "reminder",
            Notice::Reminder {
                conversation: conversation(),
                requeue_at: at(360_000),
            },
        ),
        (
            "delivery_delivered",
            Notice::Delivered {
                message: agent_message().id,
            },
        ),
        (
            "delivery_failed",
            Notice::DeliveryFailed {
                message: agent_message().id,
                reason: "HTTP 400: recipient unknown".into(),
            },
        ),
    ];
    for (name, notice) in events {
        check(
            &format!("agent/{name}"),
            &told(ToAgent::Event(17, std::sync::Arc::new(notice))),
        );
    }
    let welcome = ServerFrame::welcome(
        &agent,
        Presence::Available,
        &[
            card(None),
            Card {
                id: ConversationId(9),
                transcript: Vec::new(),
                earlier: true,
                ..card(None)
            },
        ],
        &[],
    );
    check("agent/welcome", &welcome.to_text());
    let canned = [
        ("greeting", "Hi {customer.name}, I'm {agent.name}."),
        ("goodbye", "Thanks for contacting {account.name}!"),
    ]
    .map(|(name, text)| crate::rules::Canned {
        name: name.into(),
        text: crate::rules::Template::parse(text).unwrap(),
    });
    let welcome = ServerFrame::welcome(&agent, Presence::Away, &[], &canned);
    check("agent/welcome_canned", &welcome.to_text());
    let sent = ToAgent::Sent {
        client_id: "draft-7".into(),
        message_id: agent_message().id,
    };
    check("agent/sent", &told(sent));
    // Live signals: never numbered, never kept.
    let typing = ToAgent::Typing {
        conversation: conversation(),
    };
    check("agent/typing", &told(typing));
    let read = ToAgent::Read {
        conversation: conversation(),
        message: Some(agent_message().id),
    };
    check("agent/read", &told(read));
    let read = ToAgent::Read {
        conversation: conversation(),
        message: None,
    };
    check("agent/read_unnamed", &told(read));
    let updated = ToAgent::Updated(Box::new(agent.clone()));
    check("agent/agent_updated", &told(updated));
    let history = ServerFrame::History {
        conversation_id: conversation().to_string(),
        messages: crate::agents::wire::messages(&transcript()),
        earlier: true,
    };
    check("agent/history", &history.to_text());
    let outside = Notice::OfferWithdrawn {
        conversation: conversation(),
        why: Withdrawn::TakenOutside,
    };
    check(
        "agent/offer_withdrawn_taken_outside",
        &told(ToAgent::Event(17, std::sync::Arc::new(outside))),
    );
    let refused = ToAgent::Refused {
        code: Refusal::NotAssigned,
        message: "conversation c4 is not assigned to you".into(),
        conversation: conversation(),
    };
    check("agent/error", &told(refused));
    let error = ServerFrame::error("invalid_json", "expected value");
    check("agent/error_plain", &error.to_text());
    // An event kept by an earlier release is replayed exactly as it was kept.
    let kept = r#"{"type":"closed","seq":3,"conversation_id":"c1","why":"resolved"}"#;
    assert_eq!(told(ToAgent::Frame(kept.into())), kept);
}

#[test]
fn client_frames_parse_from_their_documented_bytes() {
    let c = conversation;
    let cases: Vec<(&str, ClientFrame)> = vec![
        (
            r#"{"type":"auth","token":"bt_x","resume_after":17}"#,
            ClientFrame::Auth {
                token: "bt_x".into(),
                resume_after: Some(17),
            },
        ),
        (r#"{"type":"ack","seq":17}"#, ClientFrame::Ack { seq: 17 }),
        (
            r#"{"type":"presence","status":"available"}"#,
            ClientFrame::Presence {
                status: PresenceJson::Available,
            },
        ),
        (
            r#"{"type":"accept","conversation_id":"c4"}"#,
            ClientFrame::Accept {
                conversation_id: c(),
            },
        ),
        (
            r#"{"type":"decline","conversation_id":"c4"}"#,
            ClientFrame::Decline {
                conversation_id: c(),
            },
        ),
        (
            r#"{"type":"send","conversation_id":"c4","text":"hello","client_id":"draft-7"}"#,
            ClientFrame::Send {
                conversation_id: c(),
                text: "hello".into(),
                client_id: "draft-7".into(),
            },
        ),
        (
            r#"{"type":"typing","conversation_id":"c4"}"#,
            ClientFrame::Typing {
                conversation_id: c(),
            },
        ),
        (
            r#"{"type":"transfer","conversation_id":"c4","agent_id":"a2","note":"VIP"}"#,
            ClientFrame::Transfer {
                conversation_id: c(),
                agent_id: Some("a2".into()),
                skills: None,
                note: Some("VIP".into()),
            },
        ),
        (
            r#"{"type":"transfer","conversation_id":"c4","skills":["billing"]}"#,
            ClientFrame::Transfer {
                conversation_id: c(),
                agent_id: None,
                skills: Some(vec!["billing".into()]),
                note: None,
            },
        ),
        (
            r#"{"type":"release","conversation_id":"c4"}"#,
            ClientFrame::Release {
                conversation_id: c(),
            },
        ),
        (
            r#"{"type":"resolve","conversation_id":"c4"}"#,
            ClientFrame::Resolve {
                conversation_id: c(),
            },
        ),
        (
            r#"{"type":"history","conversation_id":"c4","before":"c4-200"}"#,
            ClientFrame::History {
                conversation_id: c(),
                before: MessageId {
                    conversation: c(),
                    seq: 200,
                },
            },
        ),
    ];
    for (text, frame) in cases {
        assert_eq!(parse(text), Ok(frame), "{text}");
    }
    for bad in [
        r#"{"type":"history","conversation_id":"c4"}"#,
        r#"{"type":"history","conversation_id":"c4","before":"200"}"#,
    ] {
        assert!(
            parse(bad).is_err_and(|e| e.code == "invalid_frame"),
            "{bad}"
        );
    }
}
