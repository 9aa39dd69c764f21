//! `GET /v1/conversations` (a page of conversations, open and at rest) and `GET /v1/export`
//! (one JSON line per message), in the admin API's own shapes.

use crate::agents::wire::{author, CustomerJson};
use crate::domain::{AgentId, Conversation, Message, State};
use crate::engine::{Delivery, Page, StateName, Summary};
use serde::Serialize;

/// A page: `next` is the `after` of the following page, `null` on the last.
#[derive(Debug, Serialize)]
pub struct ConversationsJson {
    pub conversations: Vec<ConversationSummaryJson>,
    pub next: Option<String>,
}

impl From<&Page> for ConversationsJson {
    fn from(p: &Page) -> Self {
        ConversationsJson {
            conversations: p.conversations.iter().map(Into::into).collect(),
            next: p.next.map(|id| id.to_string()),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ConversationSummaryJson {
    pub id: String,
    pub account: String,
    pub customer: CustomerJson,
    /// The admin API's state names (`bot`, `queued`, `offered`, `with_agent`, `closed`).
    pub state: &'static str,
    /// The agent it is offered to or held by now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Every agent who held it, first first.
    pub agents: Vec<String>,
    pub episode: u32,
    pub messages: u64,
    pub opened_at: String,
    pub updated_at: String,
}

impl From<&Summary> for ConversationSummaryJson {
    fn from(s: &Summary) -> Self {
        let c = &s.conversation;
        let agent = match &c.state {
            State::Offered { agent, .. } | State::WithAgent { agent, .. } => Some(agent),
            _ => None,
        };
        ConversationSummaryJson {
            id: c.id.to_string(),
            account: c.account.to_string(),
            customer: (&c.customer).into(),
            state: StateName::of(&c.state).as_str(),
            agent: agent.map(ToString::to_string),
            agents: s.agents.iter().map(ToString::to_string).collect(),
            episode: c.episode,
            messages: c.next_seq,
            opened_at: c.opened_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

/// One line of an export: a message with its conversation, who wrote it and as whom.
#[derive(Debug, Serialize)]
pub struct ExportLineJson {
    pub conversation: String,
    pub account: String,
    pub customer: String,
    pub seq: u64,
    pub at: String,
    /// `customer`, `bot`, `agent`, `system` or `outside` (a person writing from the brand's
    /// account in another app).
    pub author: &'static str,
    /// The agent whose profile signed it (on `agent` lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub text: String,
    /// The Custom Profile it carried; `null` for a customer's message.
    pub profile: Option<ExportProfileJson>,
    /// `delivered`, `failed` or `pending`; absent for a customer's message and an answer
    /// from outside Baton.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<&'static str>,
    /// The channel's reason, for a failed message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ExportProfileJson {
    pub name: String,
    pub avatar: String,
}

impl ExportLineJson {
    pub fn new(
        c: &Conversation,
        m: &Message,
        agent: Option<AgentId>,
        delivery: Option<Delivery>,
    ) -> Self {
        let (delivery, failure) = match delivery {
            None => (None, None),
            Some(Delivery::Delivered) => (Some("delivered"), None),
            Some(Delivery::Pending) => (Some("pending"), None),
            Some(Delivery::Failed(why)) => (Some("failed"), Some(why)),
        };
        ExportLineJson {
            conversation: c.id.to_string(),
            account: c.account.to_string(),
            customer: c.customer.id.0.clone(),
            seq: m.id.seq,
            at: m.at.to_string(),
            author: author(m.from),
            agent: agent.map(|a| a.to_string()),
            text: m.text.clone(),
            profile: m.profile.as_ref().map(|p| ExportProfileJson {
                name: p.name.clone(),
                avatar: p.avatar.clone(),
            }),
            delivery,
            failure,
        }
    }
}

#[cfg(test)]
mod golden {
    use super::*;
    use crate::domain::{AccountId, Channel, ConversationId, Customer, CustomerId, MessageId};
    use crate::domain::{Author, Profile, Timestamp};
    use crate::golden::{at, check, sam};

    fn conversation(id: u64, state: State) -> Conversation {
        let customer = Customer {
            channel: Channel::Webhook,
            id: CustomerId::from("u1"),
            name: Some("Jo".into()),
        };
        let mut c = Conversation::new(ConversationId(id), AccountId::from("acme"), customer, at(0));
        c.state = state;
        c.episode = 2;
        c.next_seq = 6;
        c.updated_at = at(9_000);
        c
    }

    fn message(seq: u64, from: Author, profile: Option<Profile>, when: Timestamp) -> Message {
        Message {
            id: MessageId {
                conversation: ConversationId(4),
                seq,
            },
            from,
            text: format!("text {seq}"),
            payload: None,
            quick_replies: Vec::new(),
            attachments: Vec::new(),
            profile,
            at: when,
            epoch: 1,
        }
    }

    fn text<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap()
    }

    #[test]
    fn listing_and_export_keep_their_bytes() {
        let held = State::WithAgent {
            agent: AgentId(1),
            since: at(4_000),
            priority: 0,
            replied: true,
            nudged: false,
            heard_at: None,
            name: "Sam".into(),
        };
        let page = Page {
            conversations: vec![
                Summary {
                    conversation: conversation(3, State::Closed),
                    agents: vec![AgentId(2), AgentId(1)],
                    turns: vec![1, 2],
                },
                Summary {
                    conversation: conversation(4, held),
                    agents: vec![AgentId(1)],
                    turns: vec![3],
                },
            ],
            next: Some(ConversationId(4)),
        };
        check(
            "admin/conversations",
            &text(&ConversationsJson::from(&page)),
        );
        let c = conversation(4, State::Closed);
        let bot = Profile {
            id: "acme-bot".into(),
            name: "Acme Assistant (bot)".into(),
            avatar: "https://example.com/bot.png".into(),
        };
        let lines = [
            ExportLineJson::new(&c, &message(0, Author::Customer, None, at(1)), None, None),
            ExportLineJson::new(
                &c,
                &message(1, Author::Bot, Some(bot), at(2)),
                None,
                Some(Delivery::Delivered),
            ),
            ExportLineJson::new(
                &c,
                &message(2, Author::Agent, Some(sam()), at(3)),
                Some(AgentId(1)),
                Some(Delivery::Failed("blocked by the recipient".into())),
            ),
            ExportLineJson::new(
                &c,
                &message(3, Author::Agent, Some(sam()), at(4)),
                Some(AgentId(1)),
                Some(Delivery::Pending),
            ),
        ];
        let body: Vec<String> = lines.iter().map(text).collect();
        check("admin/export", &body.join("\n"));
    }
}
