//! The agents registry, owned by the engine like every other piece of live state: who they are
//! (stored), whether they may connect (active, disabled, removed: see `people/admin.rs`), and
//! who is connected and how (in memory only: after a restart nobody is).
//!
//! Only an active agent's token hash is in `by_token`, so a disabled agent's or a replaced
//! token is refused from the moment the registry changes. A removed agent's record stays,
//! without a token hash, so its id is never handed out again; it is otherwise gone (`get`,
//! `all` and the views skip it).

use crate::domain::{profile_clash, AccountId, Agent, AgentId, NewAgent, Presence, ProfileClash};
use crate::store::{AgentRecord, AgentStatus, WriteSet};
use foldhash::HashMap;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Agents {
    by_id: BTreeMap<AgentId, AgentRecord>,
    by_token: HashMap<String, AgentId>,
    live: HashMap<AgentId, Live>,
    next_id: u64,
}

/// A connected agent: how many sockets, and whether it takes new conversations.
#[derive(Debug, Clone, Copy)]
struct Live {
    connections: u32,
    presence: Presence,
}

/// An agent as the admin API shows it.
#[derive(Debug, Clone)]
pub struct AgentView {
    pub agent: Agent,
    /// `None` when no socket is connected.
    pub presence: Option<Presence>,
    pub connections: u32,
    /// Refused at the socket and offered nothing until enabled again.
    pub disabled: bool,
}

impl Agents {
    pub fn restore(records: Vec<AgentRecord>) -> Agents {
        let mut agents = Agents::default();
        for r in records {
            agents.next_id = agents.next_id.max(r.agent.id.0 + 1);
            if r.status == AgentStatus::Active {
                agents.by_token.insert(r.token_sha256.clone(), r.agent.id);
            }
            agents.by_id.insert(r.agent.id, r);
        }
        agents
    }

    /// Adds a checked agent under a fresh id and writes it, unless its profile would pass for
    /// its account's bot (`bot`, the bot's profile name) or for one of the account's agents:
    /// only here are all of them known at once, so two additions cannot race past each other.
    pub fn add(
        &mut self,
        new: NewAgent,
        bot: Option<&str>,
        token_sha256: String,
        set: &mut WriteSet,
    ) -> Result<Agent, ProfileClash> {
        let colleagues = self.all().filter(|a| a.account == new.account);
        if let Some(clash) = profile_clash(&new.profile_name, bot, colleagues) {
            return Err(clash);
        }
        let id = AgentId(self.next_id);
        self.next_id += 1;
        let record = AgentRecord {
            agent: new.into_agent(id),
            token_sha256,
            status: AgentStatus::Active,
        };
        set.agent(&record);
        self.by_token.insert(record.token_sha256.clone(), id);
        let agent = record.agent.clone();
        self.by_id.insert(id, record);
        Ok(agent)
    }

    /// An agent that was not removed (a disabled one included).
    pub fn get(&self, id: AgentId) -> Option<&Agent> {
        self.record(id).map(|r| &r.agent)
    }

    /// The agent's record, unless it was removed.
    pub(super) fn record(&self, id: AgentId) -> Option<&AgentRecord> {
        self.by_id
            .get(&id)
            .filter(|r| r.status != AgentStatus::Removed)
    }

    /// Whether the agent may connect and take work.
    pub fn is_active(&self, id: AgentId) -> bool {
        self.by_id
            .get(&id)
            .is_some_and(|r| r.status == AgentStatus::Active)
    }

    /// Every agent not removed.
    pub fn all(&self) -> impl Iterator<Item = &Agent> {
        self.by_id
            .values()
            .filter(|r| r.status != AgentStatus::Removed)
            .map(|r| &r.agent)
    }

    pub fn views(&self) -> Vec<AgentView> {
        self.all()
            .map(|a| {
                let live = self.live.get(&a.id);
                AgentView {
                    agent: a.clone(),
                    presence: live.map(|l| l.presence),
                    connections: live.map_or(0, |l| l.connections),
                    disabled: !self.is_active(a.id),
                }
            })
            .collect()
    }

    /// The account of the active agent whose token has this hash.
    pub fn account_of(&self, token_sha256: &str) -> Option<&AccountId> {
        let id = self.by_token.get(token_sha256)?;
        Some(&self.by_id.get(id)?.agent.account)
    }

    /// A socket authenticated with a token (by its hash): the agent and its presence. A first
    /// connection starts `away`, so nobody is offered work before saying they are available.
    pub fn connect(&mut self, token_sha256: &str) -> Option<(Agent, Presence)> {
        let id = *self.by_token.get(token_sha256)?;
        let agent = self.by_id.get(&id)?.agent.clone();
        let live = self.live.entry(id).or_insert(Live {
            connections: 0,
            presence: Presence::Away,
        });
        live.connections += 1;
        Some((agent, live.presence))
    }

    /// `None` when no socket is connected.
    pub fn presence(&self, id: AgentId) -> Option<Presence> {
        self.live.get(&id).map(|l| l.presence)
    }

    pub fn set_presence(&mut self, id: AgentId, presence: Presence) {
        if let Some(live) = self.live.get_mut(&id) {
            live.presence = presence;
        }
    }

    /// Writes a changed record and keeps `by_token` to the active agents' hashes. Connections
    /// are left as they are: each socket being closed reports its disconnect, which counts it
    /// out (forgetting them here would let a late one count out a socket opened since).
    pub(super) fn replace(&mut self, record: AgentRecord, set: &mut WriteSet) {
        let id = record.agent.id;
        if let Some(old) = self.by_id.get(&id) {
            self.by_token.remove(&old.token_sha256);
        }
        if record.status == AgentStatus::Active {
            self.by_token.insert(record.token_sha256.clone(), id);
        }
        set.agent(&record);
        self.by_id.insert(id, record);
    }

    /// A socket closed; with the last one the agent is offline.
    pub fn disconnect(&mut self, id: AgentId) {
        if let Some(live) = self.live.get_mut(&id) {
            live.connections = live.connections.saturating_sub(1);
            if live.connections == 0 {
                self.live.remove(&id);
            }
        }
    }
}
