//! Routing decisions as stored: who was offered a conversation, who named them, and why each
//! other agent was passed over (with the stored spellings of the reasons).

use super::absent::absent;
use super::text::{AgentRef, Time};
use crate::domain::{Passed, PassedOver, RoutingNote};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassedOverRecord {
    pub why: PassedRecord,
    pub count: usize,
    pub agents: Vec<AgentRef>,
}

/// Why routing passed an agent over, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PassedRecord {
    #[serde(rename = "at capacity")]
    AtCapacity,
    #[serde(rename = "away")]
    Away,
    #[serde(rename = "busier or idle for less time")]
    Busier,
    #[serde(rename = "declined before")]
    DeclinedBefore,
    #[serde(rename = "missing skill")]
    MissingSkill,
    #[serde(rename = "offline")]
    Offline,
    #[serde(rename = "other account")]
    OtherAccount,
}

super::same_variants!(Passed <=> PassedRecord: AtCapacity, Away, Busier, DeclinedBefore, MissingSkill, Offline, OtherAccount);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingNoteRecord {
    pub at: Time,
    pub offered_to: AgentRef,
    #[serde(default, skip_serializing_if = "absent")]
    pub named_by: Option<AgentRef>,
    #[serde(default, skip_serializing_if = "absent")]
    pub passed_over: Vec<PassedOverRecord>,
}

impl From<&RoutingNote> for RoutingNoteRecord {
    fn from(n: &RoutingNote) -> Self {
        RoutingNoteRecord {
            at: n.at.into(),
            offered_to: n.offered_to.into(),
            named_by: n.named_by.map(Into::into),
            passed_over: n
                .passed_over
                .iter()
                .map(|p| PassedOverRecord {
                    why: p.why.into(),
                    count: p.count,
                    agents: p.agents.iter().map(|&a| a.into()).collect(),
                })
                .collect(),
        }
    }
}

impl From<RoutingNoteRecord> for RoutingNote {
    fn from(n: RoutingNoteRecord) -> Self {
        RoutingNote {
            at: n.at.into(),
            offered_to: n.offered_to.into(),
            named_by: n.named_by.map(Into::into),
            passed_over: n
                .passed_over
                .into_iter()
                .map(|p| PassedOver {
                    why: p.why.into(),
                    count: p.count,
                    agents: p.agents.into_iter().map(Into::into).collect(),
                })
                .collect(),
        }
    }
}
