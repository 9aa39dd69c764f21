//! The store's own text forms of ids and times, so a change to the domain's `Display` or
//! serde cannot change what is on disk: `c12`, `c12-3`, `a4`, RFC 3339 with milliseconds.

use crate::domain::{AgentId, ConversationId, MessageId, Timestamp};
use serde::{de::Error, Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::time::{Duration, UNIX_EPOCH};

/// Milliseconds since the epoch, written as RFC 3339 UTC with milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time(pub u64);

/// A conversation id, written `c12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationRef(pub u64);

/// An agent id, written `a4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentRef(pub u64);

/// A message id, written `c12-3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRef {
    pub conversation: u64,
    pub seq: u64,
}

fn number<E: Error>(prefix: char, text: &str) -> Result<u64, E> {
    text.strip_prefix(prefix)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| E::custom(format!("'{text}' is not an id like {prefix}12")))
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, str>, D::Error> {
    Cow::<str>::deserialize(d)
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_rfc3339_millis(
            UNIX_EPOCH + Duration::from_millis(self.0),
        ))
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = text(d)?;
        let at =
            humantime::parse_rfc3339(&t).map_err(|e| D::Error::custom(format!("'{t}': {e}")))?;
        let ms = at.duration_since(UNIX_EPOCH).map_err(D::Error::custom)?;
        Ok(Time(ms.as_millis() as u64))
    }
}

impl Serialize for ConversationRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("c{}", self.0))
    }
}

impl<'de> Deserialize<'de> for ConversationRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ConversationRef(number('c', &text(d)?)?))
    }
}

impl Serialize for AgentRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("a{}", self.0))
    }
}

impl<'de> Deserialize<'de> for AgentRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(AgentRef(number('a', &text(d)?)?))
    }
}

impl Serialize for MessageRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("c{}-{}", self.conversation, self.seq))
    }
}

impl<'de> Deserialize<'de> for MessageRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = text(d)?;
        let bad = || D::Error::custom(format!("'{t}' is not a message id like c12-3"));
        let (conversation, seq) = t.split_once('-').ok_or_else(bad)?;
        Ok(MessageRef {
            conversation: number('c', conversation)?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

impl From<Timestamp> for Time {
    fn from(t: Timestamp) -> Self {
        Time(t.0)
    }
}

impl From<Time> for Timestamp {
    fn from(t: Time) -> Self {
        Timestamp(t.0)
    }
}

impl From<ConversationId> for ConversationRef {
    fn from(id: ConversationId) -> Self {
        ConversationRef(id.0)
    }
}

impl From<ConversationRef> for ConversationId {
    fn from(id: ConversationRef) -> Self {
        ConversationId(id.0)
    }
}

impl From<AgentId> for AgentRef {
    fn from(id: AgentId) -> Self {
        AgentRef(id.0)
    }
}

impl From<AgentRef> for AgentId {
    fn from(id: AgentRef) -> Self {
        AgentId(id.0)
    }
}

impl From<MessageId> for MessageRef {
    fn from(id: MessageId) -> Self {
        MessageRef {
            conversation: id.conversation.0,
            seq: id.seq,
        }
    }
}

impl From<MessageRef> for MessageId {
    fn from(id: MessageRef) -> Self {
        MessageId {
            conversation: ConversationId(id.conversation),
            seq: id.seq,
        }
    }
}
