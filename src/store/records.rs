//! What the store persists: the records its callers hand it (domain values), and the
//! versioned forms they are written in. A value is one version byte, then that version's
//! record type (`v2`, `agent`) as JSON (version 2; agents' version 3) or packed as MessagePack
//! (turns and checkpoints: version 5, [`PACKED`], structs as arrays; version 4,
//! [`PACKED_MAP`], the conversation still a map, and version 3, [`NAMED`], with field names,
//! still read); those types are the store's own, converted to and from the
//! domain's, so a renamed domain field cannot silently change what is on disk or stop last
//! month's data from loading. Reading dispatches on the version byte.
//!
//! Version 1 is not read: it belonged to the key layout before the turn log (a key per message
//! and per outbox entry), so its data needs a layout migration, not a record decoder.

/// Both ways between a domain reason and its record, variant for variant.
macro_rules! same_variants {
    ($domain:ident <=> $record:ident: $($v:ident),+) => {
        impl From<$domain> for $record {
            fn from(d: $domain) -> $record {
                match d {
                    $($domain::$v => $record::$v,)+
                }
            }
        }

        impl From<$record> for $domain {
            fn from(r: $record) -> $domain {
                match r {
                    $($record::$v => $domain::$v,)+
                }
            }
        }
    };
}

pub(crate) use same_variants;

mod absent;
mod agent;
mod conversation;
mod message;
mod platform;
mod routing;
mod text;
mod v2;

use super::{StoreError, TurnList};
use crate::domain::{AccountId, Channel, Conversation, Customer, EventId, Message};
use serde::{de::DeserializeOwned, Serialize};

pub use agent::{AgentStatusRecord, AgentV3};
pub use conversation::{
    ChannelRecord, CustomerRecord, FollowUpRecord, SnapshotRecord, StateRecord, TicketRecord,
};
pub use message::{AuthorRecord, MessageRecord, ProfileRecord, QuickReplyRecord};
pub use platform::{PlatformProfileV2, RetiredV2};
pub use routing::{PassedOverRecord, PassedRecord, RoutingNoteRecord};
pub use text::{AgentRef, ConversationRef, MessageRef, Time};
pub use v2::{AgentDataRecord, AgentV2, BucketV2, CheckpointV2, EventRefRecord, FailedV2, TurnV2};

/// The version the JSON records are written as (turns and checkpoints are [`PACKED`], agents
/// version 3); a record whose shape changes moves to a new version of its own, read beside the
/// old ones.
pub const VERSION: u8 = 2;

/// An inbound event as the channel named it: processed once, however often delivered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventRef {
    pub account: AccountId,
    pub channel: Channel,
    pub id: EventId,
}

/// One input's effect on one conversation: the event it answers, the conversation as it left
/// it, and the messages it produced. The only record written per input; never changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnRecord {
    pub event: Option<EventRef>,
    pub conversation: Conversation,
    pub messages: Vec<Message>,
}

impl TurnRecord {
    /// The messages that go out to the customer.
    pub fn outgoing(&self) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(|m| goes_out(m))
    }
}

/// Whether a turn's message goes out to the customer.
fn goes_out(m: &Message) -> bool {
    m.from.sent_by_baton()
}

/// Event ids taken in during one checkpoint interval, with the turns that took them in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBucket {
    pub written_at: crate::domain::Timestamp,
    pub events: Vec<(EventRef, u64)>,
}

/// A checkpointed conversation: its snapshot and every turn it has, in order (the oldest in
/// pages of their own once there are many: `TurnList`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRecord {
    pub conversation: Conversation,
    pub turns: TurnList,
}

/// What the outbox runner works on: a turn's outgoing messages still to be delivered.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// The turn's sequence number.
    pub seq: u64,
    pub account: AccountId,
    pub to: Customer,
    pub pending: Vec<Message>,
    /// Outgoing messages of the turn already delivered before `pending`.
    pub skipped: usize,
}

impl Outbound {
    pub fn conversation(&self) -> Option<crate::domain::ConversationId> {
        self.pending.first().map(|m| m.id.conversation)
    }

    /// The outgoing part of a turn, if it has any.
    pub fn from_turn(seq: u64, turn: &TurnRecord) -> Option<Outbound> {
        let pending: Vec<Message> = turn.outgoing().cloned().collect();
        let c = &turn.conversation;
        Outbound::pending(seq, c.account.clone(), c.customer.clone(), pending)
    }

    /// As [`Outbound::from_turn`], taking the turn's messages rather than copying them (the
    /// engine's turns, once written).
    pub fn take_turn(seq: u64, turn: TurnRecord) -> Option<Outbound> {
        let mut pending = turn.messages;
        pending.retain(goes_out);
        let c = turn.conversation;
        Outbound::pending(seq, c.account, c.customer, pending)
    }

    /// A turn's outgoing messages, none sent yet; `None` when there are none.
    fn pending(seq: u64, account: AccountId, to: Customer, pending: Vec<Message>) -> Option<Self> {
        (!pending.is_empty()).then_some(Outbound {
            seq,
            account,
            to,
            pending,
            skipped: 0,
        })
    }
}

/// An agent as stored: the token itself is never kept, only its SHA-256 (hex). Tokens carry
/// 256 random bits, so a fast hash is enough to make a stolen store useless for logging in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    pub agent: crate::domain::Agent,
    pub token_sha256: String,
    pub status: AgentStatus,
}

/// Whether an agent may connect. A removed agent's record stays (with no token hash), so its
/// id is never handed out again and it stays removed across restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentStatus {
    Active,
    Disabled,
    Removed,
}

/// An outgoing message the channel refused for good, kept with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecord {
    pub account: AccountId,
    pub to: Customer,
    pub message: Message,
    pub error: String,
}

/// The platform's Custom Profile made for one of our profiles (the bot's or an agent's) on one
/// account, and the name and avatar it was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformProfile {
    pub account: AccountId,
    /// Our profile id (`Profile::id`).
    pub local: String,
    pub name: String,
    pub avatar: String,
    pub platform_id: String,
    /// Platform ids made for earlier names or avatars of the same profile, not yet deleted.
    pub retired: Vec<RetiredProfile>,
}

/// A platform id replaced by a new one: messages written before the switch may still use it,
/// so it is deleted only once the channel's watermark reaches `until_turn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredProfile {
    pub platform_id: String,
    pub name: String,
    pub avatar: String,
    /// Every turn that can carry the old name and avatar is below this.
    pub until_turn: u64,
}

/// A record the store keeps under a versioned key: written as `WRITTEN`, read from any
/// version ever written.
pub trait Record: Sized {
    /// The version this record is written as (one record type may move on alone).
    const WRITTEN: u8 = VERSION;
    /// Writes what follows the version byte onto `out`.
    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), String>;
    /// A record of `version` from what followed its version byte.
    fn from_body(version: u8, body: &[u8]) -> Result<Self, String>;
}

/// The version earlier releases packed turns and checkpoints as: the same record types as
/// version 2, in MessagePack with every struct a map of its field names, times and ids as
/// numbers. Still read.
pub const NAMED: u8 = 3;

/// The version earlier releases packed turns and checkpoints as: version 3 with every struct an
/// array of its fields in order, except the conversation, whose flattened state kept it a map
/// of its field names. A turn was a third smaller than in version 3 (the golden turns: 436 →
/// 293 bytes). Still read.
pub const PACKED_MAP: u8 = 4;

/// The version turns and checkpoints are written as: every struct an array of its fields in
/// order, the conversation too (its state a field of its own), so the bytes carry no field
/// names. Optional fields are written even when empty ([`absent`]), so each keeps its position;
/// a field added later goes last, with a default, and reads back from shorter arrays. A turn is
/// a third smaller than in version 4, a checkpoint half (the golden turns: 408 → 257 bytes on
/// average; checkpoints 362 → 167).
pub const PACKED: u8 = 5;

fn json<T: Serialize>(value: &T, out: &mut Vec<u8>) -> Result<(), String> {
    serde_json::to_writer(out, value).map_err(|e| e.to_string())
}

fn packed<T: Serialize>(value: &T, out: &mut Vec<u8>) -> Result<(), String> {
    absent::every_field(|| rmp_serde::encode::write(out, value)).map_err(|e| e.to_string())
}

fn read<T: DeserializeOwned, R: From<T>>(version: u8, body: &[u8]) -> Result<R, String> {
    match version {
        2 => serde_json::from_slice::<T>(body)
            .map(R::from)
            .map_err(|e| e.to_string()),
        NAMED | PACKED_MAP | PACKED => rmp_serde::from_slice::<T>(body)
            .map(R::from)
            .map_err(|e| e.to_string()),
        v => Err(format!("unknown record version {v}")),
    }
}

macro_rules! record {
    ($version:expr, $write:ident: $($api:ty => $v2:ty),* $(,)?) => {$(
        impl Record for $api {
            const WRITTEN: u8 = $version;
            fn write_body(&self, out: &mut Vec<u8>) -> Result<(), String> {
                $write(&<$v2>::from(self), out)
            }
            fn from_body(version: u8, body: &[u8]) -> Result<Self, String> {
                read::<$v2, Self>(version, body)
            }
        }
    )*};
}

// Written on the hot path and read back by every replay, scan and listing: packed.
record! { PACKED, packed:
    TurnRecord => TurnV2,
    ConversationRecord => CheckpointV2,
}

// Written seldom: JSON, version 2 (read as either).
record! { VERSION, json:
    EventBucket => BucketV2,
    FailedRecord => FailedV2,
    PlatformProfile => PlatformProfileV2,
}

/// Room a record's bytes start with: most (a turn, a conversation) fit, so the buffer is not
/// grown and copied several times while the JSON is written.
const RECORD_ROOM: usize = 1024;

pub fn encode<T: Record>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(RECORD_ROOM);
    out.push(T::WRITTEN);
    // Serialising plain data to a Vec cannot fail; an error here would be a bug in a derive.
    if value.write_body(&mut out).is_err() {
        out.truncate(1);
    }
    out
}

pub fn decode<T: Record>(key: &[u8], value: &[u8]) -> Result<T, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        key: format!("{key:?}"),
        message,
    };
    match value.split_first() {
        Some((&version, body)) => T::from_body(version, body).map_err(corrupt),
        None => Err(corrupt("empty record".into())),
    }
}

#[cfg(test)]
mod golden;
#[cfg(test)]
mod round_trip;
