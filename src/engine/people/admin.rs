//! Agents over time, as the admin API changes them: disable, enable, remove, a new token, an
//! edit. Each change is written in the engine's batch and answered once it is durable.
//!
//! Disabling, removing and rotating the token refuse the old token from this batch on (the
//! registry keeps only active agents' hashes) and cut the agent's open sockets off with a
//! [`Revoked`] reason. A disabled or removed agent also leaves the desk at once
//! (`Input::AgentLeft`): its offers go back, what it held goes back in line ahead of newer
//! conversations, and it is offered nothing until enabled and connected again. A new token
//! does not take the agent's conversations: its sockets close as if dropped, and the usual
//! disconnect grace gives it time to connect with the new token.
//!
//! An edit signs from the next message on: the desk signs every message with the profile of
//! the seat when it is created, and a connected agent's seat is given the edited agent here
//! (one not connected gets it when it connects). Messages already written keep theirs.

use super::*;
use crate::domain::NewAgent;
use crate::engine::commit::{self, Pending};
use crate::engine::AgentView;
use crate::store::{AgentRecord, AgentStatus};

/// An admin's change to an agent, with where to answer.
pub enum Admin {
    Disable(AgentId, Reply<AgentView>),
    Enable(AgentId, Reply<AgentView>),
    Remove(AgentId, Reply<AgentId>),
    /// The new token's SHA-256 (the token itself never reaches the engine).
    Rotate(AgentId, String, Reply<Agent>),
    Edit(AgentId, AgentEdit, Reply<AgentView>),
}

/// What an edit changes; `None` keeps the field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentEdit {
    pub name: Option<String>,
    pub profile_name: Option<String>,
    pub avatar: Option<String>,
    pub skills: Option<Vec<String>>,
    pub capacity: Option<u32>,
}

impl AgentEdit {
    /// The agent as it would be after the edit, checked as a new agent is (every problem).
    fn apply(self, agent: &Agent) -> Result<Agent, Vec<String>> {
        let new = NewAgent {
            account: agent.account.clone(),
            name: self.name.unwrap_or_else(|| agent.name.clone()),
            profile_name: self
                .profile_name
                .unwrap_or_else(|| agent.profile.name.clone()),
            avatar: self.avatar.unwrap_or_else(|| agent.profile.avatar.clone()),
            skills: self.skills.unwrap_or_else(|| agent.skills.clone()),
            capacity: self.capacity.unwrap_or(agent.capacity),
        };
        new.check()?;
        Ok(new.into_agent(agent.id))
    }
}

/// Why an agent's sockets were cut off by an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Disabled,
    Removed,
    TokenRotated,
}

impl Engine {
    pub(in crate::engine) fn admin(
        &mut self,
        op: Admin,
        now: Timestamp,
        set: &mut WriteSet,
        pending: &mut Pending,
    ) {
        match op {
            Admin::Disable(id, reply) => {
                let r = self.set_status(id, AgentStatus::Disabled, now, set, pending);
                self.answer_view(id, r, reply, pending);
            }
            Admin::Enable(id, reply) => {
                let r = self.set_status(id, AgentStatus::Active, now, set, pending);
                self.answer_view(id, r, reply, pending);
            }
            Admin::Remove(id, reply) => {
                match self.set_status(id, AgentStatus::Removed, now, set, pending) {
                    Ok(()) => {
                        // Nobody will read what was kept for it.
                        self.forget_events(id, u64::MAX, set);
                        pending.waiters.push(commit::answer(reply, id));
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Admin::Rotate(id, token_sha256, reply) => {
                let record = match self.known(id) {
                    Ok(record) => record,
                    Err(e) => {
                        let _ = reply.send(Err(e));
                        return;
                    }
                };
                let agent = record.agent.clone();
                self.agents.replace(
                    AgentRecord {
                        token_sha256,
                        ..record
                    },
                    set,
                );
                self.people.revoke(id, Revoked::TokenRotated);
                tracing::info!(agent = %id, "agent token replaced; its sockets are closed");
                pending.waiters.push(commit::answer(reply, agent));
            }
            Admin::Edit(id, edit, reply) => {
                let r = self.edit(id, edit, now, set, pending);
                self.answer_view(id, r, reply, pending);
            }
        }
    }

    fn answer_view(
        &self,
        id: AgentId,
        r: Result<(), EngineError>,
        reply: Reply<AgentView>,
        pending: &mut Pending,
    ) {
        let view = r.and_then(|()| {
            self.agents
                .views()
                .into_iter()
                .find(|v| v.agent.id == id)
                .ok_or(EngineError::NoSuchAgent(id))
        });
        match view {
            Ok(view) => pending.waiters.push(commit::answer(reply, view)),
            Err(e) => {
                let _ = reply.send(Err(e));
            }
        }
    }

    /// The agent's record, or the error an admin call about an unknown id answers.
    fn known(&self, id: AgentId) -> Result<AgentRecord, EngineError> {
        self.agents
            .record(id)
            .cloned()
            .ok_or(EngineError::NoSuchAgent(id))
    }

    /// Moves the agent to `status`; one that stops being active leaves the desk and loses its
    /// sockets. Setting the status it has changes nothing.
    fn set_status(
        &mut self,
        id: AgentId,
        status: AgentStatus,
        now: Timestamp,
        set: &mut WriteSet,
        pending: &mut Pending,
    ) -> Result<(), EngineError> {
        let record = self.known(id)?;
        if record.status == status {
            return Ok(());
        }
        let was_active = record.status == AgentStatus::Active;
        let account = record.agent.account.clone();
        let token_sha256 = match status {
            // A removed agent never connects again: not even its token's hash is kept.
            AgentStatus::Removed => String::new(),
            AgentStatus::Active | AgentStatus::Disabled => record.token_sha256.clone(),
        };
        self.agents.replace(
            AgentRecord {
                token_sha256,
                status,
                ..record
            },
            set,
        );
        let why = match status {
            AgentStatus::Active => {
                tracing::info!(agent = %id, "agent enabled");
                return Ok(());
            }
            AgentStatus::Disabled => Revoked::Disabled,
            AgentStatus::Removed => Revoked::Removed,
        };
        tracing::info!(agent = %id, status = ?status, "agent can no longer connect");
        if was_active {
            self.people.revoke(id, why);
            let input = Input::AgentLeft { agent: id };
            self.feed_desk(input, &account, now, set, &mut pending.outgoing);
        }
        Ok(())
    }

    /// Checks and writes an edit; a connected agent's seat takes it at once.
    fn edit(
        &mut self,
        id: AgentId,
        edit: AgentEdit,
        now: Timestamp,
        set: &mut WriteSet,
        pending: &mut Pending,
    ) -> Result<(), EngineError> {
        let record = self.known(id)?;
        let agent = edit.apply(&record.agent).map_err(EngineError::Invalid)?;
        let bot = self
            .accounts
            .get(&agent.account)
            .map(|a| a.bot.name.clone());
        let colleagues = self
            .agents
            .all()
            .filter(|a| a.account == agent.account && a.id != id);
        if let Some(clash) = profile_clash(&agent.profile.name, bot.as_deref(), colleagues) {
            return Err(EngineError::ProfileClash(clash));
        }
        let account = agent.account.clone();
        self.agents.replace(AgentRecord { agent, ..record }, set);
        tracing::info!(agent = %id, "agent edited");
        self.people.later.push(Later::Updated(id));
        // Only a connected agent has a seat worth updating: connecting seats the agent as
        // the registry has it, and a seat fed `None` here would start a grace.
        if let (Some(presence), Some(agent)) = (self.agents.presence(id), self.agents.get(id)) {
            let input = Input::AgentSeen {
                agent: agent.clone(),
                presence: Some(presence),
            };
            self.feed_desk(input, &account, now, set, &mut pending.outgoing);
        }
        Ok(())
    }
}

impl EngineHandle {
    pub async fn disable_agent(&self, id: AgentId) -> Result<AgentView, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(Command::People(Admin::Disable(id, reply)), rx)
            .await
    }

    pub async fn enable_agent(&self, id: AgentId) -> Result<AgentView, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(Command::People(Admin::Enable(id, reply)), rx)
            .await
    }

    pub async fn remove_agent(&self, id: AgentId) -> Result<AgentId, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(Command::People(Admin::Remove(id, reply)), rx)
            .await
    }

    /// Replaces the agent's token with one hashing to `token_sha256`.
    pub async fn rotate_agent_token(
        &self,
        id: AgentId,
        token_sha256: String,
    ) -> Result<Agent, EngineError> {
        let (reply, rx) = oneshot::channel();
        let op = Admin::Rotate(id, token_sha256, reply);
        self.call(Command::People(op), rx).await
    }

    pub async fn edit_agent(&self, id: AgentId, edit: AgentEdit) -> Result<AgentView, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(Command::People(Admin::Edit(id, edit, reply)), rx)
            .await
    }
}
