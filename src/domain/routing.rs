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
        // Only the lowest few are kept as they come: a note lives as long as its conversation,
        // and a list of every agent passed over, even truncated, would keep its capacity
        // (8 bytes per agent of the account, per reason, per note).
        let mut by_reason: BTreeMap<Passed, (usize, Vec<AgentId>)> = BTreeMap::new();
        for (agent, why) in others {
            let entry = by_reason
                .entry(why)
                .or_insert_with(|| (0, Vec::with_capacity(EXAMPLES)));
            entry.0 += 1;
            keep_lowest(&mut entry.1, agent);
        }
        let passed_over = by_reason
            .into_iter()
            .map(|(why, (count, agents))| PassedOver { why, count, agents })
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

/// Keeps `agent` in `lowest` (sorted, at most `EXAMPLES`) if it is among the lowest so far.
fn keep_lowest(lowest: &mut Vec<AgentId>, agent: AgentId) {
    let at = lowest.partition_point(|a| *a < agent);
    if at >= EXAMPLES {
        return;
    }
    if lowest.len() == EXAMPLES {
        lowest.pop();
    }
    lowest.insert(at, agent);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the order agents come in, a note names the lowest few of each reason,
        /// counts them all, and holds no more room than it names.
        #[test]
        fn a_note_keeps_the_lowest_few_and_counts_all(
            // Distinct ids in any order, as a map of seats gives them.
            ids in proptest::collection::btree_set(0u64..10_000, 0..300)
                .prop_map(|s| s.into_iter().collect::<Vec<_>>())
                .prop_shuffle(),
        ) {
            let agents: Vec<AgentId> = ids.into_iter().map(AgentId).collect();
            let reason = |a: &AgentId| {
                if a.0.is_multiple_of(3) {
                    Passed::Busier
                } else {
                    Passed::DeclinedBefore
                }
            };
            let note = RoutingNote::chosen(
                Timestamp(0),
                AgentId(u64::MAX),
                agents.iter().map(|a| (*a, reason(a))),
            );
            for p in &note.passed_over {
                let mut all: Vec<AgentId> =
                    agents.iter().copied().filter(|a| reason(a) == p.why).collect();
                all.sort();
                prop_assert_eq!(p.count, all.len());
                all.truncate(EXAMPLES);
                prop_assert_eq!(&p.agents, &all);
                prop_assert!(p.agents.capacity() <= EXAMPLES);
            }
            let counted: usize = note.passed_over.iter().map(|p| p.count).sum();
            prop_assert_eq!(counted, agents.len());
        }
    }
}
