//! Key layout of the one tree: a keyspace byte, then big-endian numbers so order is numeric.

use crate::domain::{AccountId, AgentId, Channel, ConversationId, CustomerId, Timer, Timestamp};

/// The turn log: every input's effects on one conversation, append-only.
pub const TURN: u8 = b't';
/// Per turn file (see `turn_files`), by number: how many of its bytes the store refers to. A
/// file shorter than that lost turns; start-up says so.
pub const TURN_FILE: u8 = b'f';
/// Checkpointed conversations, with the list of their newest turns.
pub const CONVERSATION: u8 = b'c';
/// Per conversation, by number: pages of its older turns' numbers (see `turn_pages`).
pub const TURN_PAGE: u8 = b'h';
/// Checkpointed buckets of event keys already taken in.
pub const EVENTS: u8 = b'e';
/// The first turn a start-up must replay (everything before it is checkpointed).
pub const MARKER: u8 = b'k';
/// Per channel: every turn below this is delivered.
pub const WATERMARK: u8 = b'w';
/// Outgoing messages a channel refused for good.
pub const FAILED: u8 = b'x';
/// Agents, with the hash of their token.
pub const AGENT: u8 = b'a';
/// Per agent: events sent and not yet acknowledged, by sequence number.
pub const AGENT_EVENT: u8 = b'v';
/// Per agent: the next event sequence number.
pub const AGENT_SEQ: u8 = b'q';
/// Agents' grace deadlines: deadline, then the agent; no value. (A conversation's deadline is
/// a field of the conversation.)
pub const DEADLINE: u8 = b'd';
/// How far the journal is applied to sled (as of the last barrier); see `durable`.
pub const APPLIED: u8 = b'j';
/// Per channel, account and local profile id: the platform's Custom Profile made for it.
pub const PLATFORM_PROFILE: u8 = b'p';

/// Open conversations (anything not at rest): the id, no value. Start-up loads these and no
/// other `c` record.
pub const OPEN: u8 = b'o';
/// Customers whose conversation is at rest in the store: account, NUL, channel byte, customer
/// id → the conversation id (u64 BE), so a customer who is back is found without a scan.
pub const CUSTOMER: u8 = b'u';
/// Present once `o` and `u` cover every `c` record (a data directory from an earlier release
/// has none until its first start-up builds them).
pub const HISTORY_INDEXED: u8 = b'i';

fn numbered(space: u8, n: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = space;
    k[1..].copy_from_slice(&n.to_be_bytes());
    k
}

pub fn turn(seq: u64) -> [u8; 9] {
    numbered(TURN, seq)
}

pub fn turn_seq(k: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(k.get(1..9)?.try_into().ok()?))
}

pub fn turn_file(number: u64) -> [u8; 9] {
    numbered(TURN_FILE, number)
}

pub fn conversation(id: ConversationId) -> [u8; 9] {
    numbered(CONVERSATION, id.0)
}

pub fn turn_page(id: ConversationId, number: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[..9].copy_from_slice(&numbered(TURN_PAGE, id.0));
    k[9..].copy_from_slice(&number.to_be_bytes());
    k
}

pub fn open(id: ConversationId) -> [u8; 9] {
    numbered(OPEN, id.0)
}

/// The conversation id in an `open` or `conversation` key.
pub fn conversation_id(k: &[u8]) -> Option<ConversationId> {
    turn_seq(k).map(ConversationId)
}

pub fn customer(account: &AccountId, channel: Channel, customer: &CustomerId) -> Vec<u8> {
    let mut k = Vec::with_capacity(account.0.len() + customer.0.len() + 3);
    k.push(CUSTOMER);
    k.extend_from_slice(account.0.as_bytes());
    k.push(0);
    k.push(channel_byte(channel));
    k.extend_from_slice(customer.0.as_bytes());
    k
}

pub fn history_indexed() -> [u8; 1] {
    [HISTORY_INDEXED]
}

pub fn agent(id: crate::domain::AgentId) -> [u8; 9] {
    numbered(AGENT, id.0)
}

pub fn agent_event(agent: crate::domain::AgentId, seq: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[..9].copy_from_slice(&numbered(AGENT_EVENT, agent.0));
    k[9..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// The event number in an `agent_event` key.
pub fn agent_event_seq(k: &[u8]) -> u64 {
    k.get(9..17)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

pub fn agent_seq(agent: crate::domain::AgentId) -> [u8; 9] {
    numbered(AGENT_SEQ, agent.0)
}

/// `d`, the deadline (ms, big-endian so keys sort by time), `c` or `a`, the id.
pub fn deadline(at: Timestamp, timer: Timer) -> [u8; 18] {
    let (kind, id) = match timer {
        Timer::Conversation(c) => (b'c', c.0),
        Timer::Agent(a) => (b'a', a.0),
    };
    let mut k = [0u8; 18];
    k[..9].copy_from_slice(&numbered(DEADLINE, at.0));
    k[9] = kind;
    k[10..].copy_from_slice(&id.to_be_bytes());
    k
}

pub fn parse_deadline(k: &[u8]) -> Option<(Timestamp, Timer)> {
    let at = u64::from_be_bytes(k.get(1..9)?.try_into().ok()?);
    let id = u64::from_be_bytes(k.get(10..18)?.try_into().ok()?);
    let timer = match k.get(9)? {
        b'c' => Timer::Conversation(ConversationId(id)),
        b'a' => Timer::Agent(AgentId(id)),
        _ => return None,
    };
    Some((Timestamp(at), timer))
}

pub fn events(bucket: u64) -> [u8; 9] {
    numbered(EVENTS, bucket)
}

pub fn marker() -> [u8; 1] {
    [MARKER]
}

fn channel_byte(c: Channel) -> u8 {
    match c {
        Channel::Webhook => b'w',
        Channel::Twitter => b't',
    }
}

pub fn watermark(c: Channel) -> [u8; 2] {
    [WATERMARK, channel_byte(c)]
}

/// `p`, the channel byte, then the keys of one channel's platform profiles.
pub fn platform_profiles(c: Channel) -> [u8; 2] {
    [PLATFORM_PROFILE, channel_byte(c)]
}

/// `p`, the channel byte, the account, a NUL (account ids are config keys, never NUL), the
/// local profile id.
pub fn platform_profile(c: Channel, account: &AccountId, local: &str) -> Vec<u8> {
    let mut k = platform_profiles(c).to_vec();
    k.extend_from_slice(account.0.as_bytes());
    k.push(0);
    k.extend_from_slice(local.as_bytes());
    k
}

/// Every failed message of one conversation starts with this.
pub fn failed_of(id: ConversationId) -> [u8; 9] {
    numbered(FAILED, id.0)
}

pub fn failed(id: ConversationId, seq: u64) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[..9].copy_from_slice(&numbered(FAILED, id.0));
    k[9..].copy_from_slice(&seq.to_be_bytes());
    k
}
