//! The one owner of live state: takes commands, applies the domain, carries out its effects.
//!
//! Commands arrive on a bounded channel and are taken in batches: every input of a batch runs
//! through the pure [`Desk`], its effects on each conversation become one turn record, the
//! batch's turns (and any checkpoint that is due) go into one atomic sled batch, and the callers
//! wait for the group commit (one flush shared by everyone in it) before they hear back.

mod agents;
mod census;
mod checkpoint;
mod commit;
mod delivery;
mod heartbeat;
mod intake;
mod logbook;
mod measure;
mod notices;
mod people;
mod query;
mod reload;
mod restore;
mod schedule;
mod seen;
mod signals;
mod turns;

use crate::clock::Clock;
use crate::domain::{
    Account, AccountId, Agent, ConversationId, Desk, Input, NewAgent, ProfileClash, Timer,
    Timestamp,
};
use crate::outbox::feed::Feeds;
use crate::outbox::report::ReportRx;
use crate::store::{Store, TurnList, WriteSet};
use agents::Agents;
use checkpoint::Checkpoint;
use commit::Pending;
use foldhash::{HashMap, HashSet, HashSetExt};
use people::Session;
use seen::SeenIndex;
use tokio::sync::{mpsc, oneshot};

pub use agents::AgentView;
pub use commit::{Committer, Stopped};
pub use heartbeat::Heartbeat;
pub use intake::{Inbound, Intake, OutsideReply};
pub use people::{AgentEdit, Connected, Cut, NotAdmitted, Revoked, ToAgent};
pub use query::{author_agent, page};
pub use query::{
    ConversationView, Delivery, Filter, FollowUpEntry, Page, ProfileView, QueueEntry, QueueView,
    Resident, Since, StateName, StatsView, Summary, Watermarks,
};
pub use schedule::{Schedule, ScheduleStats};
pub use signals::{CustomerDid, CustomerSignal, PlatformSignal, Shown};

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EngineError {
    #[error("unknown account '{0}'")]
    UnknownAccount(String),
    #[error("no such conversation")]
    NoSuchConversation,
    #[error("the store is unavailable; nothing was acknowledged")]
    Unavailable,
    #[error("{0}")]
    ProfileClash(ProfileClash),
    #[error("no agent {0}")]
    NoSuchAgent(crate::domain::AgentId),
    /// Every problem with an agent's new values.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
}

pub type Reply<T> = oneshot::Sender<Result<T, EngineError>>;

enum Command {
    Inbound(Inbound, Reply<Intake>),
    Outside(OutsideReply, Reply<Intake>),
    Signal(CustomerSignal),
    AddAgent(NewAgent, String, Reply<Agent>),
    Session(Session),
    People(people::Admin),
    Query(query::Query),
    /// A whole new set of accounts (rules, timeouts, hours), compiled already.
    Reload(Vec<Account>, Reply<()>),
}

/// A cheap-to-clone handle for talking to the engine.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::Sender<Command>,
}

impl EngineHandle {
    /// Adds a checked agent whose token hashes to `token_sha256`; answers once it is durable.
    pub async fn add_agent(
        &self,
        agent: NewAgent,
        token_sha256: String,
    ) -> Result<Agent, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(Command::AddAgent(agent, token_sha256, reply), rx)
            .await
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
    agents: Agents,
    accounts: HashMap<AccountId, Account>,
    store: Store,
    seen: SeenIndex,
    /// Every resident conversation's turns, in order: its transcript (the oldest in pages).
    transcripts: HashMap<ConversationId, TurnList>,
    checkpoint: Checkpoint,
    people: people::People,
    signals: signals::Signals,
    schedule: Schedule,
    feeds: Feeds,
    /// What the outbox runners found became of people's messages.
    reports: ReportRx,
    next_turn: u64,
    clock: Clock,
    rx: mpsc::Receiver<Command>,
    /// Stamped every turn of the loop; pings systemd's watchdog.
    heartbeat: Heartbeat,
    /// The metrics, and what they need to remember of conversations (`measure.rs`).
    measure: measure::Measure,
}

impl Engine {
    /// Loads the checkpoint and replays the turn log after it. Fails if a record cannot be read.
    pub fn build(
        store: Store,
        accounts: Vec<Account>,
        feeds: Feeds,
        clock: Clock,
        event_retention: std::time::Duration,
    ) -> Result<(Engine, EngineHandle), crate::store::StoreError> {
        let state = restore::restore(&store, &accounts, clock.now(), event_retention)?;
        tracing::info!(
            conversations = state.desk.conversations().count(),
            events = state.seen.len(),
            replayed = state.replayed,
            deadlines = state.deadlines.len(),
            "state loaded"
        );
        feeds.set_durable(state.next_turn);
        let (tx, rx) = mpsc::channel(4096);
        let engine = Engine {
            desk: state.desk,
            agents: Agents::restore(state.agents),
            accounts: accounts.into_iter().map(|a| (a.id.clone(), a)).collect(),
            store,
            seen: state.seen,
            transcripts: state.transcripts,
            checkpoint: state.checkpoint,
            people: people::People::new(),
            signals: signals::Signals::default(),
            schedule: Schedule::new(state.deadlines),
            reports: feeds.take_reports(),
            feeds,
            next_turn: state.next_turn,
            clock,
            rx,
            heartbeat: Heartbeat::default(),
            measure: measure::Measure::default(),
        };
        let mut engine = engine;
        if state.replayed > 0 {
            // Checkpoint what was replayed now, before serving: a daemon that crashes again
            // before its first checkpoint would otherwise replay it all again, and more each
            // time (a crash loop). A barrier, so the journal replayed into sled goes too.
            let mut set = WriteSet::default();
            engine.checkpoint_due(engine.clock.now(), true, &mut set);
            engine.store.write(set)?;
            engine.store.barrier()?;
        }
        Ok((engine, EngineHandle { tx }))
    }

    /// The heartbeat the loop stamps (and pings systemd's watchdog through, when it has one).
    pub fn watched_by(&mut self, heartbeat: Heartbeat) {
        self.heartbeat = heartbeat;
    }

    /// Counts into `metrics` (the engine's own events, the committer's flushes).
    pub fn measured_by(&mut self, metrics: crate::metrics::Metrics) {
        if metrics.is_enabled() {
            // What earlier runs kept and nobody acknowledged yet: a range read per agent, once.
            let kept = self.agents.all().map(|a| {
                let seqs = self.store.agent_event_seqs(a.id, u64::MAX);
                seqs.map_or(0, |s| i64::try_from(s.len()).unwrap_or(i64::MAX))
            });
            metrics.awaiting_ack(kept.sum());
        }
        self.measure = measure::Measure::new(metrics, &self.desk);
    }

    /// Runs until every handle is dropped, then checkpoints everything and waits for the last
    /// group commit.
    pub async fn run(mut self) -> Result<(), Stopped> {
        let committer = Committer::spawn(
            self.store.clone(),
            self.feeds.clone(),
            self.heartbeat.clone(),
            self.measure.metrics().clone(),
        );
        self.grace_after_restart();
        let result = self.serve(&committer).await;
        committer.close().await;
        if result.is_ok() {
            self.final_checkpoint().await;
        }
        tracing::info!("engine stopped");
        result
    }

    /// On a clean stop, so the next start-up has nothing to replay.
    async fn final_checkpoint(&mut self) {
        let mut set = WriteSet::default();
        let now = self.clock.now();
        self.checkpoint_due(now, true, &mut set);
        let store = self.store.clone();
        // A barrier, not just a flush: the journal is let go, so the next start replays nothing.
        let done = tokio::task::spawn_blocking(move || {
            store.write(set)?;
            store.barrier()
        })
        .await;
        if !matches!(done, Ok(Ok(_))) {
            tracing::warn!(
                ?done,
                "final checkpoint failed; the next start replays the log"
            );
        }
    }

    async fn serve(&mut self, committer: &Committer) -> Result<(), Stopped> {
        let mut commands = Vec::with_capacity(BATCH);
        loop {
            self.heartbeat.beat();
            // Commands, delivery reports, or the earliest deadline, whichever comes first; and
            // never longer than the heartbeat allows, so an idle engine still pings.
            let wake = self.schedule.next().map(|at| self.clock.instant(at));
            let deadline = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let mut reports = Vec::new();
            tokio::select! {
                n = self.rx.recv_many(&mut commands, BATCH) => if n == 0 {
                    break;
                },
                r = self.reports.next() => reports = r,
                () = deadline => {}
                () = tokio::time::sleep(self.heartbeat.wake_every()) => {}
            }
            self.reports.ready(&mut reports);
            let now = self.clock.now();
            let mut set = WriteSet::default();
            let mut pending = Pending {
                first_turn: self.next_turn,
                ..Pending::default()
            };
            let mut queries = Vec::new();
            let mut fresh = HashSet::new();
            // Every turn of the loop, so a stream of commands never holds deadlines back.
            self.fire_due(now, &mut set, &mut pending.outgoing);
            for cmd in commands.drain(..) {
                match cmd {
                    Command::Inbound(dm, reply) => {
                        let (event, input) = dm.into_input();
                        let r = self.take(event, input, now, &mut set, &mut fresh, &mut pending);
                        intake::answer(&mut pending, reply, r);
                    }
                    Command::Outside(o, reply) => {
                        let (event, input) = o.into_input();
                        let r = self.take(event, input, now, &mut set, &mut fresh, &mut pending);
                        intake::answer(&mut pending, reply, r);
                    }
                    Command::Session(session) => {
                        self.session(session, now, &mut set, &mut pending.outgoing)
                    }
                    Command::AddAgent(new, token_sha256, reply) => {
                        let bot = self.accounts.get(&new.account).map(|a| a.bot.name.as_str());
                        match self.agents.add(new, bot, token_sha256, &mut set) {
                            Ok(agent) => pending.waiters.push(commit::answer(reply, agent)),
                            Err(clash) => {
                                let _ = reply.send(Err(EngineError::ProfileClash(clash)));
                            }
                        }
                    }
                    Command::People(op) => self.admin(op, now, &mut set, &mut pending),
                    Command::Query(q) => queries.push(q),
                    Command::Reload(accounts, reply) => self.swap_accounts(accounts, reply),
                    Command::Signal(signal) => self.customer_signal(signal),
                }
            }
            self.reported(reports);
            pending.end_turn = self.next_turn;
            self.checkpoint_due(now, false, &mut set);
            self.forget_expired(now, &mut set);
            if !set.is_empty() {
                if let Err(e) = self.store.write(set) {
                    // Memory is now ahead of disk: stop taking input; a restart reloads the
                    // store, and nothing unacknowledged was promised.
                    tracing::error!(error = %e, "store write failed; engine stopping");
                    for w in pending.waiters {
                        w(Err(EngineError::Unavailable));
                    }
                    return Err(Stopped);
                }
            }
            // Agents hear of it once it is written, so an offer's transcript is all there.
            self.tell_agents();
            committer.commit(pending).await?;
            for q in queries {
                query::answer(q, self.view(), &self.store);
            }
        }
        Ok(())
    }
}

impl Engine {
    /// Hands the deadlines due at `now` to the desk, oldest first.
    fn fire_due(
        &mut self,
        now: Timestamp,
        set: &mut WriteSet,
        outgoing: &mut Vec<crate::store::Outbound>,
    ) {
        for (at, timer) in self.schedule.take_due(now, BATCH, set) {
            let late = std::time::Duration::from_millis(now.0.saturating_sub(at.0));
            self.measure.metrics().deadline_fired(late);
            let account = match timer {
                Timer::Conversation(id) => self.desk.conversation(id).map(|c| c.account.clone()),
                Timer::Agent(id) => self.agents.get(id).map(|a| a.account.clone()),
            };
            if let Some(account) = account {
                self.feed_desk(Input::Deadline { timer, at }, &account, now, set, outgoing);
            }
        }
    }

    /// After a restart nobody is connected: an agent holding conversations with no grace
    /// running gets the same grace as one whose connection just dropped (written at once).
    fn grace_after_restart(&mut self) {
        let now = self.clock.now();
        let running = self.schedule.agents();
        let mut set = WriteSet::default();
        let holders: Vec<(crate::domain::AgentId, AccountId)> = self
            .desk
            .holders()
            .filter(|(agent, _)| !running.contains(agent))
            .map(|(agent, account)| (agent, account.clone()))
            .collect();
        for (agent, account) in holders {
            let Some(account) = self.accounts.get(&account) else {
                continue;
            };
            let grace = account.timeouts.agent_disconnect_grace;
            let at = Timestamp(now.0.saturating_add(grace.as_millis() as u64));
            self.schedule
                .apply(Timer::Agent(agent), None, Some(at), &mut set);
        }
        if !set.is_empty() {
            if let Err(e) = self.store.write(set) {
                tracing::warn!(error = %e, "cannot write grace deadlines; they are kept in memory");
            }
        }
    }

    /// What read-only questions may look at.
    fn view(&self) -> query::View<'_> {
        query::View {
            desk: &self.desk,
            agents: &self.agents,
            accounts: &self.accounts,
            transcripts: &self.transcripts,
            schedule: &self.schedule,
            now: self.clock.now(),
        }
    }
}

impl Engine {
    /// Forgets event ids whose retention is over: out of the index, and out of the store.
    fn forget_expired(&mut self, now: Timestamp, set: &mut WriteSet) {
        for number in self.checkpoint.expire(now, set) {
            match self.store.event_bucket(number) {
                Ok(Some(bucket)) => {
                    for (event, turn) in &bucket.events {
                        self.seen.remove(event, *turn);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, bucket = number, "cannot read an expired event bucket")
                }
            }
        }
    }
}
