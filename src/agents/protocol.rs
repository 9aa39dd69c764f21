//! Agent WebSocket protocol 1: every frame, in and out, and how text becomes a frame. The values
//! inside frames have their JSON shapes in `wire`, and `render` builds frames from what the
//! engine tells an agent; nothing here serialises a domain type.

use super::wire::{AgentJson, CannedJson, CardJson, MessageJson, PresenceJson, ProfileJson};
use crate::domain::{ConversationId, MessageId};
use serde::{Deserialize, Deserializer, Serialize};
use std::str::FromStr;

/// Largest frame read; bigger ones get an `error` and the connection stays up.
pub const MAX_FRAME: usize = 64 * 1024;

/// An id written as text (`"c4"`), read with its `FromStr`.
fn text<'de, D: Deserializer<'de>, T: FromStr<Err = String>>(d: D) -> Result<T, D::Error> {
    let text = std::borrow::Cow::<str>::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// What an agent's client sends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    Auth {
        token: String,
        #[serde(default)]
        resume_after: Option<u64>,
    },
    Ack {
        seq: u64,
    },
    Presence {
        status: PresenceJson,
    },
    Accept {
        #[serde(deserialize_with = "text")]
        conversation_id: ConversationId,
    },
    Decline {
        #[serde(deserialize_with = "text")]
        conversation_id: ConversationId,
    },
    Send {
        #[serde(deserialize_with = "text")]
        conversation_id: ConversationId,
        text: String,
        client_id: String,
    },
    Typing {
        #[serde(deserialize_with = "text")]
        conversation_id: ConversationId,
    },
    Transfer {
        #[serde(deserialize_with = "text")]
        conversation_id: ConversationId,
        #[serde(default)]
        agent_id: Option<String>,
        #[serde(default)]
        skills: Option<Vec<String>>,
        #[serde(default)]
        note: Option<String>,
    },
    Release {
        #[serde(deserialize_with = "text")]
        conversation_id: ConversationId,
    },
    Resolve {
        #[serde(deserialize_with = "text")]
        conversation_id: ConversationId,
    },
    /// The messages before `before` (a message id of the conversation), a page of them.
    History {
        #[serde(deserialize_with = "text")]
        conversation_id: ConversationId,
        #[serde(deserialize_with = "text")]
        before: MessageId,
    },
}

impl ClientFrame {
    /// The conversation a frame acts on, if it acts on one.
    pub fn conversation(&self) -> Option<ConversationId> {
        match self {
            ClientFrame::Accept { conversation_id }
            | ClientFrame::Decline { conversation_id }
            | ClientFrame::Send {
                conversation_id, ..
            }
            | ClientFrame::Typing { conversation_id }
            | ClientFrame::Transfer {
                conversation_id, ..
            }
            | ClientFrame::Release { conversation_id }
            | ClientFrame::Resolve { conversation_id }
            | ClientFrame::History {
                conversation_id, ..
            } => Some(*conversation_id),
            ClientFrame::Auth { .. } | ClientFrame::Ack { .. } | ClientFrame::Presence { .. } => {
                None
            }
        }
    }
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome {
        agent: AgentJson,
        profile: ProfileJson,
        presence: PresenceJson,
        conversations: Vec<String>,
        /// The conversations it holds, each with its newest messages; left out when none.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        held: Vec<CardJson>,
        /// The account's canned replies; left out when it has none.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        canned: Vec<CannedJson>,
    },
    Error {
        code: &'static str,
        message: String,
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    Offer {
        conversation: CardJson,
        expires_at: String,
    },
    OfferWithdrawn {
        conversation_id: String,
        why: &'static str,
    },
    Assigned {
        conversation: CardJson,
    },
    Message {
        conversation_id: String,
        message: MessageJson,
    },
    Sent {
        client_id: String,
        message_id: String,
    },
    Closed {
        conversation_id: String,
        why: &'static str,
    },
    /// Baton changed the agent's presence (e.g. after offers lapsed).
    Presence {
        status: PresenceJson,
        why: &'static str,
    },
    /// The agent accepted the conversation and has not written yet; at `requeue_at` it goes
    /// back in line.
    Reminder {
        conversation_id: String,
        requeue_at: String,
    },
    /// An admin edited the agent: its name, skills, capacity and Custom Profile as they are
    /// now; the profile signs its messages from here on (never numbered or kept: a reconnect's
    /// `welcome` says the same).
    AgentUpdated {
        agent: AgentJson,
        profile: ProfileJson,
    },
    /// The answer to `history`: the newest 200 messages before the one it named, oldest first
    /// (never numbered or kept); `earlier`: there are older ones still.
    History {
        conversation_id: String,
        messages: Vec<MessageJson>,
        earlier: bool,
    },
    /// The customer is typing (never numbered or kept).
    Typing {
        conversation_id: String,
    },
    /// The customer read the conversation, up to `message_id` when the channel says (never
    /// numbered or kept).
    Read {
        conversation_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        message_id: Option<String>,
    },
    /// What became of a message signed with the agent's profile once its channel had the last
    /// word: `delivered`, or `failed` with the channel's `reason`.
    Delivery {
        message_id: String,
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

impl ServerFrame {
    pub fn error(code: &'static str, message: impl Into<String>) -> ServerFrame {
        ServerFrame::Error {
            code,
            message: message.into(),
            reference: None,
        }
    }

    pub fn to_text(&self) -> String {
        // Serialising these plain types cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The frame's text with `"seq":N` right after its `type`.
    pub fn to_text_with_seq(&self, seq: u64) -> String {
        let text = self.to_text();
        // Every frame serialises as {"type":"…",…}: the first comma ends the type.
        match text.find(',') {
            Some(i) => format!("{},\"seq\":{seq}{}", &text[..i], &text[i..]),
            None => text,
        }
    }
}

/// Why a frame was refused; becomes an `error` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    pub code: &'static str,
    pub message: String,
}

impl From<ProtocolError> for ServerFrame {
    fn from(e: ProtocolError) -> ServerFrame {
        ServerFrame::error(e.code, e.message)
    }
}

/// Parses one text frame, naming precisely what is wrong with it.
pub fn parse(text: &str) -> Result<ClientFrame, ProtocolError> {
    let err = |code, message: String| ProtocolError { code, message };
    if text.len() > MAX_FRAME {
        return Err(err(
            "too_large",
            format!("frame is {} bytes; at most {MAX_FRAME}", text.len()),
        ));
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| err("invalid_json", e.to_string()))?;
    let Some(kind) = value
        .get("type")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
    else {
        return Err(err(
            "invalid_frame",
            "a frame is a JSON object with a string \"type\"".into(),
        ));
    };
    const KNOWN: &[&str] = &[
        "auth", "ack", "presence", "accept", "decline", "send", "typing", "transfer", "release",
        "resolve", "history",
    ];
    if !KNOWN.contains(&kind.as_str()) {
        return Err(err("unknown_type", format!("unknown frame type '{kind}'")));
    }
    serde_json::from_value(value).map_err(|e| err("invalid_frame", format!("{kind}: {e}")))
}

#[cfg(test)]
mod golden;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_and_bad_ones_are_named() {
        assert_eq!(
            parse(r#"{"type":"auth","token":"t"}"#),
            Ok(ClientFrame::Auth {
                token: "t".into(),
                resume_after: None
            })
        );
        assert_eq!(
            parse(r#"{"type":"presence","status":"away"}"#),
            Ok(ClientFrame::Presence {
                status: PresenceJson::Away
            })
        );
        let send = parse(r#"{"type":"send","conversation_id":"c4","text":"hi","client_id":"x1"}"#);
        assert_eq!(send.unwrap().conversation(), Some(ConversationId(4)));
        let cases: &[(&str, &str)] = &[
            ("{", "invalid_json"),
            ("[1]", "invalid_frame"),
            (r#"{"type":5}"#, "invalid_frame"),
            (r#"{"type":"dance"}"#, "unknown_type"),
            (r#"{"type":"ack","seq":"one"}"#, "invalid_frame"),
            (r#"{"type":"ack"}"#, "invalid_frame"),
            (
                r#"{"type":"accept","conversation_id":"12"}"#,
                "invalid_frame",
            ),
            (r#"{"type":"presence","status":"asleep"}"#, "invalid_frame"),
            (r#"{"type":"ack","seq":1,"extra":true}"#, "invalid_frame"),
        ];
        for (text, code) in cases {
            assert_eq!(parse(text).unwrap_err().code, *code, "{text}");
        }
        let big = format!(r#"{{"type":"auth","token":"{}"}}"#, "x".repeat(MAX_FRAME));
        assert_eq!(parse(&big).unwrap_err().code, "too_large");
    }

    #[test]
    fn sequenced_frames_keep_type_first() {
        let f = ServerFrame::Closed {
            conversation_id: "c3".into(),
            why: "resolved",
        };
        let text = f.to_text_with_seq(17);
        assert_eq!(
            text,
            r#"{"type":"closed","seq":17,"conversation_id":"c3","why":"resolved"}"#
        );
    }
}
