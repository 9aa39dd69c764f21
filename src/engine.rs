//! The one owner of live state: takes commands, applies the domain, carries out its effects.
//!
//! Commands arrive on a bounded channel and are taken in batches: every input of a batch runs
//! through the pure [`Desk`], all their effects go into one atomic sled batch, and the callers
//! wait for the group commit (one flush shared by everyone in it) before they hear back.

mod commit;
mod query;
mod seen;

use crate::clock::Clock;
use crate::domain::{
    Account, AccountId, Author, Channel, Conversation, ConversationId, Customer, CustomerId, Desk,
    Effect, EventId, Input, Message, Timestamp,
};
use crate::outbox::feed::Feeds;
use crate::store::{Outbound, OutboxKey, OutboxRecord, Store, TurnRecord, WriteSet};
use std::collections::{HashMap, HashSet};
use tokio::sync::{mpsc, oneshot};

use commit::Pending;

pub use commit::Stopped;
use seen::SeenIndex;

pub use commit::Committer;
pub use query::{ConversationView, QueueView};

/// An inbound customer message as a channel decoded it.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub event: EventId,
    pub account: AccountId,
    pub channel: Channel,
    pub customer: CustomerId,
    pub name: Option<String>,
    pub text: String,
    pub payload: Option<String>,
}

/// What happened to an inbound message; told only once it is durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    Accepted,
    Duplicate,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EngineError {
    #[error("unknown account '{0}'")]
    UnknownAccount(String),
    #[error("no such conversation")]
    NoSuchConversation,
    #[error("the store is unavailable; nothing was acknowledged")]
    Unavailable,
}

pub type Reply<T> = oneshot::Sender<Result<T, EngineError>>;

enum Command {
    Inbound(Inbound, Reply<Intake>),
    Query(query::Query),
}

/// A cheap-to-clone handle for talking to the engine.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::Sender<Command>,
}

impl EngineHandle {
    pub async fn inbound(&self, dm: Inbound) -> Result<Intake, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(Command::Inbound(dm, reply), rx).await
    }

    async fn call<T>(
        &self,
        cmd: Command,
        rx: oneshot::Receiver<Result<T, EngineError>>,
    ) -> Result<T, EngineError> {
        self.tx
            .send(cmd)
            .await
            .map_err(|_| EngineError::Unavailable)?;
        rx.await.map_err(|_| EngineError::Unavailable)?
    }
}

const BATCH: usize = 512;

pub struct Engine {
    desk: Desk,
    accounts: HashMap<AccountId, Account>,
    store: Store,
    seen: SeenIndex,
    feeds: Feeds,
    next_outbox: u64,
    clock: Clock,
    rx: mpsc::Receiver<Command>,
}

impl Engine {
    /// Loads the desk from the store. Fails if a record cannot be read.
    pub fn build(
        store: Store,
        accounts: Vec<Account>,
        feeds: Feeds,
        clock: Clock,
    ) -> Result<(Engine, EngineHandle), crate::store::StoreError> {
        let desk = Desk::restore(store.conversations()?);
        let seen = SeenIndex::load(&store)?;
        tracing::info!(
            conversations = desk.conversations().count(),
            events = seen.len(),
            "state loaded"
        );
        let next_outbox = store.next_outbox_seq()?;
        let (tx, rx) = mpsc::channel(4096);
        let engine = Engine {
            desk,
            accounts: accounts.into_iter().map(|a| (a.id.clone(), a)).collect(),
            store,
            seen,
            feeds,
            next_outbox,
            clock,
            rx,
        };
        Ok((engine, EngineHandle { tx }))
    }

    /// Runs until every handle is dropped, then waits for the last group commit.
    pub async fn run(mut self) -> Result<(), Stopped> {
        let committer = Committer::spawn(self.store.clone(), self.feeds.clone());
        let result = self.serve(&committer).await;
        committer.close().await;
        tracing::info!("engine stopped");
        result
    }

    async fn serve(&mut self, committer: &Committer) -> Result<(), Stopped> {
        let mut commands = Vec::with_capacity(BATCH);
        while self.rx.recv_many(&mut commands, BATCH).await > 0 {
            let now = self.clock.now();
            let mut set = WriteSet::default();
            let mut pending = Pending::default();
            let mut queries = Vec::new();
            let mut fresh = HashSet::new();
            for cmd in commands.drain(..) {
                match cmd {
                    Command::Inbound(dm, reply) => {
                        match self.inbound(dm, now, &mut set, &mut fresh, &mut pending.outgoing) {
                            Ok(intake) => pending.waiters.push((reply, intake)),
                            Err(e) => {
                                let _ = reply.send(Err(e));
                            }
                        }
                    }
                    Command::Query(q) => queries.push(q),
                }
            }
            if !set.is_empty() {
                if let Err(e) = self.store.write(set) {
                    // Memory is now ahead of disk: stop taking input; a restart reloads the
                    // store, and nothing unacknowledged was promised.
                    tracing::error!(error = %e, "store write failed; engine stopping");
                    for (reply, _) in pending.waiters {
                        let _ = reply.send(Err(EngineError::Unavailable));
                    }
                    return Err(Stopped);
                }
            }
            committer.commit(pending).await?;
            for q in queries {
                query::answer(q, &self.desk, &self.store);
            }
        }
        Ok(())
    }

    fn inbound(
        &mut self,
        dm: Inbound,
        now: Timestamp,
        set: &mut WriteSet,
        fresh: &mut HashSet<(AccountId, Channel, EventId)>,
        outgoing: &mut Vec<Outbound>,
    ) -> Result<Intake, EngineError> {
        let Some(account) = self.accounts.get(&dm.account) else {
            return Err(EngineError::UnknownAccount(dm.account.0));
        };
        let key = (dm.account.clone(), dm.channel, dm.event.clone());
        if fresh.contains(&key) {
            return Ok(Intake::Duplicate);
        }
        let seen = self
            .seen
            .contains(&self.store, &dm.account, dm.channel, &dm.event)
            .map_err(|_| EngineError::Unavailable)?;
        if seen {
            return Ok(Intake::Duplicate);
        }
        set.mark_seen(dm.account.as_str(), dm.channel, dm.event.as_str(), now);
        self.seen.insert(&dm.account, dm.channel, &dm.event);
        fresh.insert(key);
        let input = Input::CustomerMessage {
            channel: dm.channel,
            customer: dm.customer,
            name: dm.name,
            text: dm.text,
            payload: dm.payload,
        };
        let effects = self.desk.handle(input, now, account);
        self.carry_out(effects, set, outgoing);
        Ok(Intake::Accepted)
    }

    /// Writes one input's effects. Each conversation's new messages become one transcript
    /// record (a turn) carrying the conversation's latest snapshot; the conversation's own
    /// record is written only when it is new or changed without messages. Each turn with
    /// something to send gets an outbox entry pointing at it.
    fn carry_out(
        &mut self,
        effects: Vec<Effect>,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) {
        let mut turns: Vec<Turn> = Vec::new();
        for effect in effects {
            let (id, message, snapshot, dest) = match effect {
                Effect::Save(c) => (c.id, None, Some(c), None),
                Effect::Record(m) => (m.id.conversation, Some(m), None, None),
                Effect::Send {
                    account,
                    to,
                    message,
                } => (
                    message.id.conversation,
                    Some(message),
                    None,
                    Some((account, to)),
                ),
            };
            let i = match turns.iter().position(|t| t.id == id) {
                Some(i) => i,
                None => {
                    turns.push(Turn::new(id));
                    turns.len() - 1
                }
            };
            let turn = &mut turns[i];
            turn.messages.extend(message);
            if snapshot.is_some() {
                turn.snapshot = snapshot;
            }
            if turn.dest.is_none() {
                turn.dest = dest;
            }
        }
        for turn in turns {
            self.write_turn(turn, set, outgoing);
        }
    }

    fn write_turn(&mut self, turn: Turn, set: &mut WriteSet, outgoing: &mut Vec<Outbound>) {
        let Turn {
            id,
            messages,
            snapshot,
            dest,
        } = turn;
        if let Some(c) = &snapshot {
            if messages.is_empty() || c.revision == 1 {
                set.save_conversation(c);
            }
        }
        let Some(first) = messages.first().map(|m| m.id.seq) else {
            return;
        };
        let record = TurnRecord {
            conversation: snapshot,
            messages,
        };
        set.append_turn(&record);
        let Some((account, to)) = dest else { return };
        let key = OutboxKey {
            channel: to.channel,
            seq: self.next_outbox,
        };
        self.next_outbox += 1;
        let entry = OutboxRecord {
            account,
            to,
            conversation: id,
            turn: first,
            sent: 0,
        };
        set.outbox_put(key, &entry);
        let pending = record
            .messages
            .into_iter()
            .filter(|m| m.from != Author::Customer)
            .collect();
        outgoing.push(Outbound {
            key,
            record: entry,
            pending,
        });
    }
}

/// One conversation's share of an input's effects.
struct Turn {
    id: ConversationId,
    messages: Vec<Message>,
    snapshot: Option<Conversation>,
    dest: Option<(AccountId, Customer)>,
}

impl Turn {
    fn new(id: ConversationId) -> Turn {
        Turn {
            id,
            messages: Vec::new(),
            snapshot: None,
            dest: None,
        }
    }
}
