//! The one owner of live state: takes commands, applies the domain, carries out its effects.
//!
//! Commands arrive on a bounded channel and are taken in batches: every input of a batch runs
//! through the pure [`Desk`], all their effects go into one atomic sled batch, and the callers
//! wait for the group commit (one flush shared by everyone in it) before they hear back.

mod commit;
mod query;

use crate::clock::Clock;
use crate::domain::{
    Account, AccountId, Author, Channel, Customer, CustomerId, Desk, Effect, EventId, Input,
    Message, Timestamp,
};
use crate::outbox::feed::Feeds;
use crate::store::{Outbound, OutboxKey, OutboxRecord, Store, WriteSet};
use std::collections::{HashMap, HashSet};
use tokio::sync::{mpsc, oneshot};

use commit::Pending;

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

/// Who a turn's outgoing messages are for.
type Destination = (AccountId, Customer);

pub struct Engine {
    desk: Desk,
    accounts: HashMap<AccountId, Account>,
    store: Store,
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
        let next_outbox = store.next_outbox_seq()?;
        let (tx, rx) = mpsc::channel(4096);
        let engine = Engine {
            desk,
            accounts: accounts.into_iter().map(|a| (a.id.clone(), a)).collect(),
            store,
            feeds,
            next_outbox,
            clock,
            rx,
        };
        Ok((engine, EngineHandle { tx }))
    }

    /// Runs until every handle is dropped, then waits for the last group commit.
    pub async fn run(mut self) {
        let committer = Committer::spawn(self.store.clone(), self.feeds.clone());
        self.serve(&committer).await;
        committer.close().await;
        tracing::info!("engine stopped");
    }

    async fn serve(&mut self, committer: &Committer) {
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
                    return;
                }
            }
            committer.commit(pending).await;
            for q in queries {
                query::answer(q, &self.desk, &self.store);
            }
        }
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
        let seen = self
            .store
            .seen(dm.account.as_str(), dm.channel, dm.event.as_str())
            .map_err(|_| EngineError::Unavailable)?;
        if seen || fresh.contains(&key) {
            return Ok(Intake::Duplicate);
        }
        set.mark_seen(dm.account.as_str(), dm.channel, dm.event.as_str(), now);
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

    /// Writes one input's effects: conversation snapshots, each conversation's new messages as
    /// one transcript record (a turn), and an outbox entry pointing at each turn that has
    /// something to send.
    fn carry_out(
        &mut self,
        effects: Vec<Effect>,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) {
        let mut turns: Vec<(Vec<Message>, Option<Destination>)> = Vec::new();
        let mut push = |m: Message, dest: Option<Destination>| {
            let id = m.id.conversation;
            match turns.iter_mut().find(|(t, _)| t[0].id.conversation == id) {
                Some((t, d)) => {
                    t.push(m);
                    if d.is_none() {
                        *d = dest;
                    }
                }
                None => turns.push((vec![m], dest)),
            }
        };
        for effect in effects {
            match effect {
                Effect::Save(c) => set.save_conversation(&c),
                Effect::Record(m) => push(m, None),
                Effect::Send {
                    account,
                    to,
                    message,
                } => push(message, Some((account, to))),
            }
        }
        for (turn, dest) in turns {
            set.append_turn(&turn);
            let Some((account, to)) = dest else { continue };
            let key = OutboxKey {
                channel: to.channel,
                seq: self.next_outbox,
            };
            self.next_outbox += 1;
            let record = OutboxRecord {
                account,
                to,
                conversation: turn[0].id.conversation,
                turn: turn[0].id.seq,
                sent: 0,
            };
            set.outbox_put(key, &record);
            let pending = turn
                .into_iter()
                .filter(|m| m.from != Author::Customer)
                .collect();
            outgoing.push(Outbound {
                key,
                record,
                pending,
            });
        }
    }
}
