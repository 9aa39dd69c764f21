//! `a` keys from version 3 on: the agent with its status (active, disabled, removed), so an
//! agent disabled or removed stays so across restarts. Version 2 records (no status) are read
//! as active; only this record type moved to version 3, the others are still written as 2.

use super::v2::{AgentDataRecord, AgentV2};
use super::{json, AgentRecord, AgentStatus, Record};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatusRecord {
    Active,
    Disabled,
    Removed,
}

crate::store::records::same_variants!(AgentStatus <=> AgentStatusRecord: Active, Disabled, Removed);

/// `a` keys, version 3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentV3<'a> {
    pub agent: AgentDataRecord<'a>,
    pub token_sha256: String,
    pub status: AgentStatusRecord,
}

impl<'a> From<&'a AgentRecord> for AgentV3<'a> {
    fn from(a: &'a AgentRecord) -> Self {
        AgentV3 {
            agent: (&a.agent).into(),
            token_sha256: a.token_sha256.clone(),
            status: a.status.into(),
        }
    }
}

impl From<AgentV3<'_>> for AgentRecord {
    fn from(a: AgentV3<'_>) -> Self {
        AgentRecord {
            agent: a.agent.into(),
            token_sha256: a.token_sha256,
            status: a.status.into(),
        }
    }
}

impl Record for AgentRecord {
    const WRITTEN: u8 = 3;

    fn write_body(&self, out: &mut Vec<u8>) -> Result<(), String> {
        json(&AgentV3::from(self), out)
    }

    fn from_body(version: u8, bytes: &[u8]) -> Result<Self, String> {
        let e = |e: serde_json::Error| e.to_string();
        match version {
            2 => serde_json::from_slice::<AgentV2>(bytes)
                .map(AgentRecord::from)
                .map_err(e),
            3 => serde_json::from_slice::<AgentV3>(bytes)
                .map(AgentRecord::from)
                .map_err(e),
            v => Err(format!("unknown agent record version {v}")),
        }
    }
}
