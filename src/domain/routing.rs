//! Routing notes: each routing decision, kept with the conversation, says who was offered it
//! and why the other agents of the account were passed over. The pick rule is in `seats`.

use super::agent::AgentId;
use super::ids::Timestamp;
use super::reasons::Passed;
use std::collections::BTreeMap;

/// One routing decision. Per reason: how many, and the first few of them, so a note stays
/// small however large the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingNote {
    pub at: Timestamp,
    pub offered_to: AgentId,
    /// Set when the agent was named rather than chosen (a transfer).
    pub named_by: Option<AgentId>,
    pub passed_over: Vec<PassedOver>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassedOver {
    pub why: Passed,
    pub count: usize,
    /// The lowest-numbered of them, at most `EXAMPLES`.
    pub agents: Vec<AgentId>,
}

/// Agents named per reason in a routing note.
const EXAMPLES: usize = 5;

impl RoutingNote {
    /// `chosen` was picked; `others` are the rest of the account's agents and why each was
    /// passed over.
    pub(super) fn chosen(
        at: Timestamp,
        chosen: AgentId,
        others: impl Iterator<Item = (AgentId, Passed)>,
    ) -> RoutingNote {
        let mut by_reason: BTreeMap<Passed, (usize, Vec<AgentId>)> = BTreeMap::new();
        for (agent, why) in others {
            let entry = by_reason.entry(why).or_default();
            entry.0 += 1;
            entry.1.push(agent);
        }
        let passed_over = by_reason
            .into_iter()
            .map(|(why, (count, mut agents))| {
                agents.sort();
                agents.truncate(EXAMPLES);
                PassedOver { why, count, agents }
            })
            .collect();
        RoutingNote {
            at,
            offered_to: chosen,
            named_by: None,
            passed_over,
        }
    }

    /// `by` transferred the conversation to `target` by name.
    pub(super) fn named(at: Timestamp, target: AgentId, by: AgentId) -> RoutingNote {
        RoutingNote {
            at,
            offered_to: target,
            named_by: Some(by),
            passed_over: Vec::new(),
        }
    }
}
