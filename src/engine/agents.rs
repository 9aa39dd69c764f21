//! The agents registry, owned by the engine like every other piece of live state.

use crate::domain::{Agent, AgentId, NewAgent};
use crate::store::{AgentRecord, WriteSet};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Agents {
    by_id: BTreeMap<AgentId, AgentRecord>,
    next_id: u64,
}

impl Agents {
    pub fn restore(records: Vec<AgentRecord>) -> Agents {
        let mut agents = Agents::default();
        for r in records {
            agents.next_id = agents.next_id.max(r.agent.id.0 + 1);
            agents.by_id.insert(r.agent.id, r);
        }
        agents
    }

    /// Adds a checked agent under a fresh id and writes it.
    pub fn add(&mut self, new: NewAgent, token_sha256: String, set: &mut WriteSet) -> Agent {
        let id = AgentId(self.next_id);
        self.next_id += 1;
        let record = AgentRecord {
            agent: new.into_agent(id),
            token_sha256,
        };
        set.agent(&record);
        let agent = record.agent.clone();
        self.by_id.insert(id, record);
        agent
    }

    pub fn all(&self) -> impl Iterator<Item = &Agent> {
        self.by_id.values().map(|r| &r.agent)
    }
}
