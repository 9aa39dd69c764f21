//! Read-only questions for the admin API, answered from the engine's own state as plain
//! values; `http` gives them their JSON shapes. A conversation at rest is not in memory: it is
//! answered from the store.

mod listing;

pub use listing::{
    author_agent, page, Delivery, Filter, Page, Resident, Since, StateName, Summary, Watermarks,
};

use super::agents::{AgentView, Agents};
use super::schedule::{Schedule, ScheduleStats};
use super::{EngineError, EngineHandle, Reply};
use crate::domain::{
    Account, AccountId, AgentId, Channel, Conversation, ConversationId, CustomerId, Desk, Message,
    MessageId, Profile, Ticket, Timestamp,
};
use crate::store::{Store, StoreError, TurnList};
use foldhash::HashMap;
use tokio::sync::oneshot;

pub enum Query {
    Queue(AccountId, Reply<QueueView>),
    Conversation(ConversationId, Reply<ConversationRead>),
    /// A customer's conversation with an account on a channel (the try page knows no id).
    Customer(AccountId, Channel, CustomerId, Reply<ConversationRead>),
    Agents(Reply<Vec<AgentView>>),
    Profiles(Reply<Vec<ProfileView>>),
    Stats(Reply<StatsView>),
    /// The store's handle, for a backup (`Store::snapshot` orders itself with every write).
    Store(Reply<Store>),
    /// The conversations in memory above a cursor, for a listing walked off the engine.
    Resident(Option<ConversationId>, Reply<Resident>),
    /// The state's gauges for `GET /metrics`, counted at the time given.
    Census(Timestamp, Reply<crate::metrics::Census>),
}

/// The engine state questions may read.
pub struct View<'a> {
    pub desk: &'a Desk,
    pub agents: &'a Agents,
    pub accounts: &'a HashMap<AccountId, Account>,
    pub transcripts: &'a HashMap<ConversationId, TurnList>,
    pub schedule: &'a Schedule,
    pub now: Timestamp,
}

/// How the daemon is doing (`GET /v1/stats`).
#[derive(Debug, Clone)]
pub struct StatsView {
    /// Every conversation there has been, in memory or at rest in the store.
    pub conversations: usize,
    /// The conversations in memory: the open ones, and any at rest not let go yet.
    pub resident: usize,
    pub scheduler: ScheduleStats,
}

/// A Custom Profile and who signs with it: an account's bot, or an agent.
#[derive(Debug, Clone)]
pub struct ProfileView {
    pub account: AccountId,
    pub agent: Option<AgentId>,
    pub bot: bool,
    pub profile: Profile,
}

#[derive(Debug, Clone)]
pub struct QueueView {
    pub account: AccountId,
    pub entries: Vec<QueueEntry>,
    /// Customers who chose to leave a message, oldest first: a person owes them an answer.
    pub follow_ups: Vec<FollowUpEntry>,
}

#[derive(Debug, Clone)]
pub struct FollowUpEntry {
    pub conversation: ConversationId,
    pub customer: String,
    pub since: Timestamp,
    /// The message they left, once written.
    pub message: Option<MessageId>,
}

#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub position: usize,
    pub conversation: ConversationId,
    pub customer: String,
    pub ticket: Ticket,
}

#[derive(Debug, Clone)]
pub struct ConversationView {
    pub conversation: Conversation,
    pub transcript: Vec<Message>,
    /// Outgoing messages a channel refused for good, with the reason.
    pub failed: Vec<crate::store::FailedRecord>,
}

/// A conversation as the engine has it and where its turns are: its transcript is read by
/// the asker, on the blocking pool ([`ConversationRead::read`]), so a conversation with a long
/// history does not hold up the engine. Turns are written once and never changed, so reading
/// them after the engine has moved on reads what it listed.
pub struct ConversationRead {
    conversation: Conversation,
    turns: TurnList,
    store: Store,
}

impl ConversationRead {
    /// Reads the whole transcript and the refused messages.
    fn read(self) -> Result<ConversationView, EngineError> {
        let ConversationRead {
            conversation,
            turns,
            store,
        } = self;
        let id = conversation.id;
        let turns = store.turn_numbers(id, &turns).map_err(unavailable(id))?;
        let transcript = store.transcript(&turns).map_err(unavailable(id))?;
        let failed = store.failed_messages(id).map_err(unavailable(id))?;
        Ok(ConversationView {
            conversation,
            transcript,
            failed,
        })
    }

    async fn read_off_engine(self) -> Result<ConversationView, EngineError> {
        tokio::task::spawn_blocking(move || self.read())
            .await
            .map_err(|_| EngineError::Unavailable)?
    }
}

impl EngineHandle {
    pub async fn queue(&self, account: AccountId) -> Result<QueueView, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(super::Command::Query(Query::Queue(account, reply)), rx)
            .await
    }

    pub async fn conversation(&self, id: ConversationId) -> Result<ConversationView, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(super::Command::Query(Query::Conversation(id, reply)), rx)
            .await?
            .read_off_engine()
            .await
    }

    pub async fn customer_conversation(
        &self,
        account: AccountId,
        channel: Channel,
        customer: CustomerId,
    ) -> Result<ConversationView, EngineError> {
        let (reply, rx) = oneshot::channel();
        let q = Query::Customer(account, channel, customer, reply);
        self.call(super::Command::Query(q), rx)
            .await?
            .read_off_engine()
            .await
    }

    pub async fn agents(&self) -> Result<Vec<AgentView>, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(super::Command::Query(Query::Agents(reply)), rx)
            .await
    }

    pub async fn profiles(&self) -> Result<Vec<ProfileView>, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(super::Command::Query(Query::Profiles(reply)), rx)
            .await
    }

    /// The store the engine writes to, for a backup taken beside it.
    pub async fn store(&self) -> Result<Store, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(super::Command::Query(Query::Store(reply)), rx)
            .await
    }

    /// What a listing above `after` needs from memory (see `listing`).
    pub async fn resident(&self, after: Option<ConversationId>) -> Result<Resident, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(super::Command::Query(Query::Resident(after, reply)), rx)
            .await
    }

    /// What `GET /metrics` reports of the engine's state (`census.rs`).
    pub async fn census(&self, now: Timestamp) -> Result<crate::metrics::Census, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(super::Command::Query(Query::Census(now, reply)), rx)
            .await
    }

    pub async fn stats(&self) -> Result<StatsView, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(super::Command::Query(Query::Stats(reply)), rx)
            .await
    }
}

pub(super) fn answer(q: Query, view: View<'_>, store: &Store) {
    if let Query::Census(now, reply) = q {
        let _ = reply.send(Ok(super::census::count(&view, now)));
        return;
    }
    let View {
        desk,
        agents,
        accounts,
        transcripts,
        schedule,
        now,
    } = view;
    match q {
        Query::Resident(after, reply) => {
            let mut conversations: Vec<(Conversation, TurnList)> = desk
                .conversations()
                .filter(|c| after.is_none_or(|a| c.id > a))
                .map(|c| {
                    (
                        c.clone(),
                        transcripts.get(&c.id).cloned().unwrap_or_default(),
                    )
                })
                .collect();
            conversations.sort_by_key(|(c, _)| c.id);
            let _ = reply.send(Ok(Resident {
                store: store.clone(),
                conversations,
                now,
            }));
        }
        Query::Census(..) => {}
        Query::Store(reply) => {
            let _ = reply.send(Ok(store.clone()));
        }
        Query::Stats(reply) => {
            let _ = reply.send(Ok(StatsView {
                conversations: usize::try_from(desk.total()).unwrap_or(usize::MAX),
                resident: desk.resident(),
                scheduler: schedule.stats(),
            }));
        }
        Query::Agents(reply) => {
            let _ = reply.send(Ok(agents.views()));
        }
        Query::Profiles(reply) => {
            let mut bots: Vec<&Account> = accounts.values().collect();
            bots.sort_by(|a, b| a.id.cmp(&b.id));
            let bots = bots.into_iter().map(|a| ProfileView {
                account: a.id.clone(),
                agent: None,
                bot: true,
                profile: a.bot.clone(),
            });
            let people = agents.all().map(|a| ProfileView {
                account: a.account.clone(),
                agent: Some(a.id),
                bot: false,
                profile: a.profile.clone(),
            });
            let _ = reply.send(Ok(bots.chain(people).collect()));
        }
        Query::Queue(account, reply) => {
            let entries = desk
                .queue(&account)
                .into_iter()
                .flat_map(|q| q.iter())
                .filter_map(|id| desk.conversation(id))
                .enumerate()
                .filter_map(|(i, c)| {
                    Some(QueueEntry {
                        position: i + 1,
                        conversation: c.id,
                        customer: c.customer.id.0.clone(),
                        ticket: c.ticket()?.clone(),
                    })
                })
                .collect();
            let mut follow_ups: Vec<FollowUpEntry> = desk
                .conversations()
                .filter(|c| c.account == account)
                .filter_map(|c| {
                    let f = c.follow_up.as_ref()?;
                    Some(FollowUpEntry {
                        conversation: c.id,
                        customer: c.customer.id.0.clone(),
                        since: f.since,
                        message: f.message,
                    })
                })
                .collect();
            follow_ups.sort_by_key(|f| (f.since, f.conversation));
            let _ = reply.send(Ok(QueueView {
                account,
                entries,
                follow_ups,
            }));
        }
        Query::Customer(account, channel, customer, reply) => {
            let id = match desk.find(&account, channel, &customer) {
                Some(c) => Ok(Some(c.id)),
                None => store
                    .customer_conversation(&account, channel, &customer)
                    .map_err(|_| EngineError::Unavailable),
            };
            let view = match id {
                Ok(None) => Err(EngineError::NoSuchConversation),
                Ok(Some(id)) => conversation(desk, transcripts, store, id),
                Err(e) => Err(e),
            };
            let _ = reply.send(view);
        }
        Query::Conversation(id, reply) => {
            let _ = reply.send(conversation(desk, transcripts, store, id));
        }
    }
}

fn conversation(
    desk: &Desk,
    transcripts: &HashMap<ConversationId, TurnList>,
    store: &Store,
    id: ConversationId,
) -> Result<ConversationRead, EngineError> {
    let (conversation, turns) = match desk.conversation(id) {
        Some(c) => (c.clone(), transcripts.get(&id).cloned().unwrap_or_default()),
        // At rest: the stored record is the conversation as it is.
        None => {
            let r = store
                .conversation(id)
                .map_err(unavailable(id))?
                .ok_or(EngineError::NoSuchConversation)?;
            (r.conversation, r.turns)
        }
    };
    Ok(ConversationRead {
        conversation,
        turns,
        store: store.clone(),
    })
}

/// A store error reading conversation `id`, as its reader hears it (503). Damage is the
/// operator's to know of: it is named in the log, not only answered.
fn unavailable(id: ConversationId) -> impl Fn(StoreError) -> EngineError {
    move |e| {
        tracing::error!(error = %e, conversation_id = %id, "cannot read a conversation");
        EngineError::Unavailable
    }
}
