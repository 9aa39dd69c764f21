//! What became of the messages people wrote: the outbox runners' reports become notices for
//! the agent whose profile signed each message, numbered and kept until acknowledged like
//! every other event, so a failure is not lost across a reconnect.
//!
//! The author is found by the profile: every agent signs with a profile of its own (made from
//! its account and id), so the profile a message carries names who wrote it (or accepted the
//! conversation, for the announcement), even after a restart and after the conversation has
//! changed hands. A message whose profile no agent has any more is not reported to anyone.

use super::people::Later;
use super::Engine;
use crate::domain::{AccountId, AgentId, Notice};
use crate::outbox::report::{Batch, Outcome};
use foldhash::HashMap;

impl Engine {
    /// Tells each report's agent once the engine batch it came with is written, then lets its
    /// runner know the notices are kept.
    pub(super) fn reported(&mut self, batches: Vec<Batch>) {
        if batches.is_empty() {
            return;
        }
        let authors: HashMap<(&AccountId, &str), AgentId> = self
            .agents
            .all()
            .map(|a| ((&a.account, a.profile.id.as_str()), a.id))
            .collect();
        for mut batch in batches {
            for r in std::mem::take(&mut batch.reports) {
                let Some(agent) = authors.get(&(&r.account, r.profile.as_str())).copied() else {
                    tracing::debug!(conversation_id = %r.message.conversation, message_id = %r.message, "no agent signs with this profile; not reported");
                    continue;
                };
                let notice = match r.outcome {
                    Outcome::Delivered => Notice::Delivered { message: r.message },
                    Outcome::Failed(reason) => Notice::DeliveryFailed {
                        message: r.message,
                        reason,
                    },
                };
                self.people.later.push(Later::Tell(agent, Box::new(notice)));
            }
            self.people.later.push(Later::Kept(batch));
        }
    }
}
