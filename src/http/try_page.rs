//! `GET /v1/try/{account}/{customer}/messages?after=<id>`: what a customer of the generic
//! webhook would see on their phone, for the console's try page. The webhook's replies go to a
//! sink, never back to whoever posted, so the page polls this instead. No token: it shows only
//! what the customer themselves sent and received, and it exists only with
//! `[console] try_page = true` (else 404, as if there were no such route).

use super::ApiError;
use crate::agents::wire::author;
use crate::domain::{AccountId, Channel, CustomerId, Message, MessageId, State};
use crate::engine::{ConversationView, EngineError};
use crate::shared::Shared;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State as AxumState};
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct After {
    /// The last message id the page has (`c12-3`); only later ones are returned.
    #[serde(default)]
    after: Option<String>,
}

/// The customer's side of their conversation.
#[derive(Debug, Serialize)]
pub struct TryMessagesJson {
    /// `None` until the customer has written.
    conversation: Option<String>,
    /// Who answers now: `bot`, `queue` (waiting for a person, offered included), `person` or
    /// `closed`; the page marks a switch between the bot and a person.
    answering: &'static str,
    messages: Vec<TryMessageJson>,
}

#[derive(Debug, Serialize)]
struct TryMessageJson {
    id: String,
    /// `customer` (their own), `bot`, `agent` or `system`.
    from: &'static str,
    text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    quick_replies: Vec<TryQuickReplyJson>,
    /// The name and avatar the customer sees as the sender; absent on their own messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<TryProfileJson>,
    at: String,
}

#[derive(Debug, Serialize)]
struct TryQuickReplyJson {
    label: String,
    payload: String,
}

#[derive(Debug, Serialize)]
struct TryProfileJson {
    name: String,
    avatar: String,
}

pub async fn messages(
    AxumState(s): AxumState<Shared>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<After>, QueryRejection>,
) -> Result<Json<TryMessagesJson>, ApiError> {
    if !s.try_page {
        return Err(ApiError::NotFound);
    }
    let (Path((account, customer)), Query(q)) = (path?, query?);
    if !s.accounts.contains(&account) {
        return Err(ApiError::Misdirected(account));
    }
    let after: Option<MessageId> = q
        .after
        .filter(|a| !a.is_empty())
        .map(|a| a.parse())
        .transpose()
        .map_err(ApiError::BadRequest)?;
    let found = s
        .engine
        .customer_conversation(AccountId(account), Channel::Webhook, CustomerId(customer))
        .await;
    match found {
        Ok(view) => Ok(Json(TryMessagesJson::new(&view, after))),
        Err(EngineError::NoSuchConversation) => Ok(Json(TryMessagesJson {
            conversation: None,
            answering: "bot",
            messages: Vec::new(),
        })),
        Err(e) => Err(e.into()),
    }
}

impl TryMessagesJson {
    fn new(view: &ConversationView, after: Option<MessageId>) -> Self {
        let c = &view.conversation;
        // An id from another conversation (a customer id reused after a reset) is no cursor.
        let after = after.filter(|a| a.conversation == c.id).map(|a| a.seq);
        TryMessagesJson {
            conversation: Some(c.id.to_string()),
            answering: answering(&c.state),
            messages: view
                .transcript
                .iter()
                .filter(|m| after.is_none_or(|a| m.id.seq > a))
                .map(TryMessageJson::from)
                .collect(),
        }
    }
}

fn answering(state: &State) -> &'static str {
    match state {
        State::Bot => "bot",
        State::Queued(_) | State::Offered { .. } => "queue",
        State::WithAgent { .. } => "person",
        State::Closed => "closed",
    }
}

impl From<&Message> for TryMessageJson {
    fn from(m: &Message) -> Self {
        TryMessageJson {
            id: m.id.to_string(),
            from: author(m.from),
            text: m.text.clone(),
            quick_replies: m
                .quick_replies
                .iter()
                .map(|r| TryQuickReplyJson {
                    label: r.label.clone(),
                    payload: r.payload.clone(),
                })
                .collect(),
            profile: m.profile.as_ref().map(|p| TryProfileJson {
                name: p.name.clone(),
                avatar: p.avatar.clone(),
            }),
            at: m.at.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AgentId, Conversation, ConversationId, Customer, Profile, QuickReply};
    use crate::domain::{Author, Ticket, Timestamp};
    use serde_json::{json, Value};

    // Numbered from 0, as a conversation's first message is.
    fn message(seq: u64, from: Author, profile: Option<&str>) -> Message {
        Message {
            id: MessageId {
                conversation: ConversationId(7),
                seq,
            },
            from,
            text: format!("m{seq}"),
            payload: None,
            quick_replies: Vec::new(),
            attachments: Vec::new(),
            profile: profile.map(|name| Profile {
                id: format!("p-{name}"),
                name: name.into(),
                avatar: "https://example.com/a.png".into(),
            }),
            at: Timestamp(0),
            epoch: 0,
        }
    }

    fn view(state: State) -> ConversationView {
        let customer = Customer {
            channel: Channel::Webhook,
            id: CustomerId("u1".into()),
            name: None,
        };
        let mut conversation = Conversation::new(
            ConversationId(7),
            AccountId("acme".into()),
            customer,
            Timestamp(0),
        );
        conversation.state = state;
        let mut bot = message(1, Author::Bot, Some("Acme Assistant (bot)"));
        bot.quick_replies = vec![QuickReply {
            label: "Billing".into(),
            payload: "BILLING".into(),
        }];
        ConversationView {
            conversation,
            failed: Vec::new(),
            transcript: vec![
                message(0, Author::Customer, None),
                bot,
                message(2, Author::Agent, Some("Sam, Acme")),
            ],
        }
    }

    fn ids(json: &Value) -> Vec<&str> {
        json["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["id"].as_str())
            .collect()
    }

    #[test]
    fn the_cursor_returns_only_later_messages_of_the_same_conversation() {
        let cases: &[(Option<&str>, &[&str])] = &[
            (None, &["c7-0", "c7-1", "c7-2"]),
            (Some("c7-0"), &["c7-1", "c7-2"]),
            (Some("c7-2"), &[]),
            // Another conversation's id (the daemon was reset): everything, from the start.
            (Some("c2-9"), &["c7-0", "c7-1", "c7-2"]),
        ];
        for (after, want) in cases {
            let after = after.map(|a| a.parse().unwrap());
            let got = serde_json::to_value(TryMessagesJson::new(&view(State::Bot), after)).unwrap();
            assert_eq!(ids(&got), *want, "after {after:?}");
        }
    }

    #[test]
    fn who_answers_follows_the_state() {
        let ticket = Ticket::new("customer_request", 0, Timestamp(0), Timestamp(0));
        let cases = [
            (State::Bot, "bot"),
            (State::Queued(ticket.clone()), "queue"),
            (
                State::Offered {
                    ticket,
                    agent: AgentId(1),
                    expires_at: Timestamp(0),
                },
                "queue",
            ),
            (State::Closed, "closed"),
        ];
        for (state, want) in cases {
            let got = serde_json::to_value(TryMessagesJson::new(&view(state), None)).unwrap();
            assert_eq!(got["answering"], want);
        }
    }

    #[test]
    fn messages_carry_what_the_customer_sees_and_nothing_else() {
        let got = serde_json::to_value(TryMessagesJson::new(&view(State::Bot), None)).unwrap();
        assert_eq!(got["conversation"], "c7");
        assert_eq!(
            got["messages"][0],
            json!({"id": "c7-0", "from": "customer", "text": "m0", "at": "1970-01-01T00:00:00.000Z"})
        );
        assert_eq!(
            got["messages"][1],
            json!({
                "id": "c7-1", "from": "bot", "text": "m1",
                "quick_replies": [{"label": "Billing", "payload": "BILLING"}],
                "profile": {"name": "Acme Assistant (bot)", "avatar": "https://example.com/a.png"},
                "at": "1970-01-01T00:00:00.000Z"
            })
        );
        assert_eq!(got["messages"][2]["profile"]["name"], "Sam, Acme");
    }
}
