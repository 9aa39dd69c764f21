//! Conversations open and at rest, listed page by page (`GET /v1/conversations`) and their
//! messages for an export (`GET /v1/export`).
//!
//! The engine answers only for what is in memory (`Resident`: the conversations not at rest,
//! above the cursor, with their turn numbers); the walk itself runs off the engine task, over
//! the store's `c` records in id order, one record at a time, and stops at the page's limit.
//! A resident conversation is taken from memory (its stored record may be older); any other
//! id below the engine's next one has its record on disk, since a conversation leaves memory
//! only once its record is written.

use crate::domain::{AccountId, AgentId, Author, Conversation, ConversationId, Message, State};
use crate::domain::{Channel, Timestamp};
use crate::store::records::ConversationRecord;
use crate::store::{Store, StoreError, TurnList};
use std::iter::Peekable;
use std::time::Duration;

/// The admin API's names of a conversation's states (`State::name`), as a closed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateName {
    Bot,
    Queued,
    Offered,
    WithAgent,
    Closed,
}

impl StateName {
    pub const ALL: [StateName; 5] = [
        StateName::Bot,
        StateName::Queued,
        StateName::Offered,
        StateName::WithAgent,
        StateName::Closed,
    ];

    pub fn of(state: &State) -> StateName {
        match state {
            State::Bot => StateName::Bot,
            State::Queued(_) => StateName::Queued,
            State::Offered { .. } => StateName::Offered,
            State::WithAgent { .. } => StateName::WithAgent,
            State::Closed => StateName::Closed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StateName::Bot => "bot",
            StateName::Queued => "queued",
            StateName::Offered => "offered",
            StateName::WithAgent => "with_agent",
            StateName::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<StateName> {
        StateName::ALL.into_iter().find(|n| n.as_str() == s)
    }
}

/// Last activity at or after a moment, or within a span before the engine's now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    At(Timestamp),
    Ago(Duration),
}

impl Since {
    pub fn at(self, now: Timestamp) -> Timestamp {
        match self {
            Since::At(t) => t,
            Since::Ago(d) => {
                let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
                Timestamp(now.0.saturating_sub(ms))
            }
        }
    }
}

/// What a listing keeps; every field given must match (states: any of them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub states: Vec<StateName>,
    pub account: Option<AccountId>,
    /// Who holds it now, or held it.
    pub agent: Option<AgentId>,
    pub since: Option<Since>,
}

/// What the engine has in memory above a cursor, and its clock.
pub struct Resident {
    pub store: Store,
    /// Ordered by id.
    pub conversations: Vec<(Conversation, TurnList)>,
    pub now: Timestamp,
}

/// One listed conversation.
#[derive(Debug, Clone)]
pub struct Summary {
    pub conversation: Conversation,
    /// Agents who held it, in the order they first wrote (the announcement of an accept is
    /// signed by the agent), then the holder if it has not written yet.
    pub agents: Vec<AgentId>,
    pub turns: Vec<u64>,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub conversations: Vec<Summary>,
    /// The cursor of the next page when this one is full.
    pub next: Option<ConversationId>,
}

/// Walks ids above `after` in order and keeps up to `limit` that pass `filter`.
pub fn page(
    resident: &Resident,
    filter: &Filter,
    after: Option<ConversationId>,
    limit: usize,
) -> Result<Page, StoreError> {
    let since = filter.since.map(|s| s.at(resident.now));
    let above = |c: &Conversation| after.is_none_or(|a| c.id > a);
    let mut memory = resident
        .conversations
        .iter()
        .filter(|(c, _)| above(c))
        .peekable();
    let mut disk = resident.store.conversations_after(after).peekable();
    let mut out = Vec::new();
    while out.len() < limit {
        let Some((conversation, list)) = next(&mut memory, &mut disk)? else {
            break;
        };
        let c = &conversation;
        let kept = (filter.states.is_empty() || filter.states.contains(&StateName::of(&c.state)))
            && filter.account.as_ref().is_none_or(|a| *a == c.account)
            && since.is_none_or(|s| c.updated_at >= s);
        if !kept {
            continue;
        }
        let turns = resident.store.turn_numbers(c.id, &list)?;
        let agents = holders(&resident.store, c, &turns)?;
        if filter.agent.is_some_and(|a| !agents.contains(&a)) {
            continue;
        }
        out.push(Summary {
            conversation,
            agents,
            turns,
        });
    }
    let next = match out.last() {
        Some(s) if out.len() == limit => Some(s.conversation.id),
        _ => None,
    };
    Ok(Page {
        conversations: out,
        next,
    })
}

/// The lower id of the two sources; memory wins a tie (it is newer than the record).
fn next<'a>(
    memory: &mut Peekable<impl Iterator<Item = &'a (Conversation, TurnList)>>,
    disk: &mut Peekable<impl Iterator<Item = Result<ConversationRecord, StoreError>>>,
) -> Result<Option<(Conversation, TurnList)>, StoreError> {
    let disk_id = match disk.peek() {
        Some(Ok(r)) => Some(r.conversation.id),
        Some(Err(_)) => match disk.next() {
            Some(Err(e)) => return Err(e),
            _ => None,
        },
        None => None,
    };
    let memory_id = memory.peek().map(|(c, _)| c.id);
    match (memory_id, disk_id) {
        (None, None) => Ok(None),
        (Some(m), d) if d.is_none_or(|d| m <= d) => {
            if d == Some(m) {
                disk.next();
            }
            Ok(memory.next().cloned())
        }
        _ => Ok(disk.next().transpose()?.map(|r| (r.conversation, r.turns))),
    }
}

/// The agents whose profile signed a message of these turns, read one turn at a time, and
/// the one holding it now.
fn holders(store: &Store, c: &Conversation, turns: &[u64]) -> Result<Vec<AgentId>, StoreError> {
    let mut agents = Vec::new();
    for &turn in turns {
        for m in store.turn_messages(turn)? {
            if let Some(a) = author_agent(c, &m).filter(|a| !agents.contains(a)) {
                agents.push(a);
            }
        }
    }
    let now = match c.state {
        State::WithAgent { agent, .. } => Some(agent),
        _ => None,
    };
    if let Some(a) = now.filter(|a| !agents.contains(a)) {
        agents.push(a);
    }
    Ok(agents)
}

/// The agent a message's profile names: an agent's profile id is `<account>-<agent id>`.
pub fn author_agent(c: &Conversation, m: &Message) -> Option<AgentId> {
    if m.from != Author::Agent {
        return None;
    }
    let id = m.profile.as_ref()?.id.strip_prefix(c.account.0.as_str())?;
    id.strip_prefix('-')?.parse().ok()
}

/// What is known of an outgoing message's delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The channel's watermark is past its turn (the sink confirmed it, or it was not sent
    /// because a newer owner overtook it).
    Delivered,
    /// Refused for good, with the channel's reason.
    Failed(String),
    /// Not yet past the watermark.
    Pending,
}

/// The watermarks of the channels, read once per page.
pub struct Watermarks {
    webhook: u64,
    twitter: u64,
}

impl Watermarks {
    pub fn read(store: &Store) -> Result<Watermarks, StoreError> {
        Ok(Watermarks {
            webhook: store.watermark(Channel::Webhook)?,
            twitter: store.watermark(Channel::Twitter)?,
        })
    }

    /// A customer's message has no delivery, nor has an answer written outside Baton (the
    /// platform delivered it); an outgoing one's is its failure record, else where its turn
    /// stands against its channel's watermark.
    pub fn of(
        &self,
        store: &Store,
        c: &Conversation,
        turn: u64,
        m: &Message,
    ) -> Result<Option<Delivery>, StoreError> {
        if !m.from.sent_by_baton() {
            return Ok(None);
        }
        if let Some(reason) = store.failure(m.id)? {
            return Ok(Some(Delivery::Failed(reason)));
        }
        let mark = match c.customer.channel {
            Channel::Webhook => self.webhook,
            Channel::Twitter => self.twitter,
        };
        Ok(Some(if turn < mark {
            Delivery::Delivered
        } else {
            Delivery::Pending
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::conversation;
    use crate::store::WriteSet;

    /// Disk: c0..c5, c2's record older than memory's; memory: c2 (now held) and c6 (not
    /// checkpointed yet).
    fn resident(dir: &std::path::Path) -> Resident {
        let store = Store::open(dir, 1 << 20).unwrap();
        let mut set = WriteSet::default();
        for id in 0..6 {
            let mut c = conversation(id, 1);
            if id % 2 == 1 {
                c.state = State::Closed;
            }
            set.conversation(&ConversationRecord {
                conversation: c,
                turns: Vec::new().into(),
            });
        }
        store.write(set).unwrap();
        let mut held = conversation(2, 2);
        held.state = State::WithAgent {
            agent: AgentId(4),
            since: Timestamp(1),
            priority: 0,
            replied: false,
            nudged: false,
            heard_at: None,
            name: String::new(),
        };
        Resident {
            store,
            conversations: vec![
                (held, Vec::new().into()),
                (conversation(6, 1), Vec::new().into()),
            ],
            now: Timestamp(10),
        }
    }

    fn ids(p: &Page) -> Vec<u64> {
        p.conversations
            .iter()
            .map(|s| s.conversation.id.0)
            .collect()
    }

    #[test]
    fn memory_and_disk_merge_in_id_order_and_memory_wins() {
        let dir = tempfile::tempdir().unwrap();
        let r = resident(dir.path());
        let all = page(&r, &Filter::default(), None, 100).unwrap();
        assert_eq!(ids(&all), [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(all.next, None);
        assert_eq!(
            all.conversations[2].agents,
            [AgentId(4)],
            "the holder, from memory"
        );
        let mut after = None;
        let mut pages = Vec::new();
        loop {
            let p = page(&r, &Filter::default(), after, 3).unwrap();
            pages.push(ids(&p));
            match p.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(pages, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        let closed = Filter {
            states: vec![StateName::Closed],
            ..Filter::default()
        };
        assert_eq!(ids(&page(&r, &closed, None, 100).unwrap()), [1, 3, 5]);
        let held = Filter {
            agent: Some(AgentId(4)),
            ..Filter::default()
        };
        assert_eq!(ids(&page(&r, &held, None, 100).unwrap()), [2]);
        let later = Filter {
            since: Some(Since::Ago(Duration::from_millis(5))),
            ..Filter::default()
        };
        assert!(page(&r, &later, None, 100)
            .unwrap()
            .conversations
            .is_empty());
    }
}
