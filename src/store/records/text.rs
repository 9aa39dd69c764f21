//! The store's own forms of ids and times, so a change to the domain's `Display` or serde
//! cannot change what is on disk: in the JSON records text (`c12`, `c12-3`, `a4`, RFC 3339
//! with milliseconds), in the packed ones plain numbers (a message id a pair of them).

use crate::domain::{AgentId, ConversationId, MessageId, Timestamp};
use serde::de::{Error, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
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

fn number(prefix: char, text: &str) -> Result<u64, String> {
    text.strip_prefix(prefix)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("'{text}' is not an id like {prefix}12"))
}

fn time(t: &str) -> Result<u64, String> {
    let at = humantime::parse_rfc3339(t).map_err(|e| format!("'{t}': {e}"))?;
    let ms = at.duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?;
    Ok(ms.as_millis() as u64)
}

/// Reads a number written either way: as text (`parse`, the JSON records) or as a plain
/// number (the packed records). Either is accepted in both encodings, so a value serde
/// buffers (a flattened or tagged part, which always says "human readable") reads back too.
struct Number<F> {
    what: &'static str,
    parse: F,
}

impl<'de, F: FnOnce(&str) -> Result<u64, String>> Visitor<'de> for Number<F> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.what)
    }

    fn visit_u64<E: Error>(self, n: u64) -> Result<u64, E> {
        Ok(n)
    }

    fn visit_str<E: Error>(self, t: &str) -> Result<u64, E> {
        (self.parse)(t).map_err(E::custom)
    }
}

fn either<'de, D, F>(d: D, what: &'static str, parse: F) -> Result<u64, D::Error>
where
    D: Deserializer<'de>,
    F: FnOnce(&str) -> Result<u64, String>,
{
    d.deserialize_any(Number { what, parse })
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return s.serialize_u64(self.0);
        }
        s.collect_str(&humantime::format_rfc3339_millis(
            UNIX_EPOCH + Duration::from_millis(self.0),
        ))
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        either(d, "an RFC 3339 time or milliseconds", time).map(Time)
    }
}

impl Serialize for ConversationRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return s.serialize_u64(self.0);
        }
        s.collect_str(&format_args!("c{}", self.0))
    }
}

impl<'de> Deserialize<'de> for ConversationRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        either(d, "a conversation id", |t| number('c', t)).map(ConversationRef)
    }
}

impl Serialize for AgentRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return s.serialize_u64(self.0);
        }
        s.collect_str(&format_args!("a{}", self.0))
    }
}

impl<'de> Deserialize<'de> for AgentRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        either(d, "an agent id", |t| number('a', t)).map(AgentRef)
    }
}

impl Serialize for MessageRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return (self.conversation, self.seq).serialize(s);
        }
        s.collect_str(&format_args!("c{}-{}", self.conversation, self.seq))
    }
}

/// A message id as text (`c12-3`) or as the pair of numbers the packed records write.
struct MessageVisitor;

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = MessageRef;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a message id")
    }

    fn visit_str<E: Error>(self, t: &str) -> Result<MessageRef, E> {
        let bad = || E::custom(format!("'{t}' is not a message id like c12-3"));
        let (conversation, seq) = t.split_once('-').ok_or_else(bad)?;
        Ok(MessageRef {
            conversation: number('c', conversation).map_err(E::custom)?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MessageRef, A::Error> {
        let two = "a message id is two numbers";
        let mut next = || {
            seq.next_element::<u64>()?
                .ok_or_else(|| A::Error::custom(two))
        };
        let id = MessageRef {
            conversation: next()?,
            seq: next()?,
        };
        match seq.next_element::<serde::de::IgnoredAny>()? {
            Some(_) => Err(A::Error::custom(two)),
            None => Ok(id),
        }
    }
}

impl<'de> Deserialize<'de> for MessageRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MessageVisitor)
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
