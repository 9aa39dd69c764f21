//! Telling agents what happened: the desk's agent effects become [`Notice`]s (an offer gets the
//! conversation and its transcript), numbered and kept until acknowledged, once the batch that
//! caused them is written, so an offer's transcript includes the messages that led to it.

use super::people::{Later, ToAgent};
use super::Engine;
use crate::domain::{AgentEvent, Card, ConversationId, Effect, Notice};
use crate::store::{TurnList, WriteSet};

/// The messages an offer or assignment carries: the newest, read from the end of the
/// conversation, so neither the engine's time nor the frame grows with a customer's history.
/// Older ones are the holder's to page back to (`history`, a page this size); the whole
/// transcript is the conversation view's (`GET /v1/conversations/{id}`) and the export's.
pub const CARD_MESSAGES: usize = 200;

impl Engine {
    /// Carries out what agents are owed; called once the batch that caused it is written.
    pub(super) fn tell_agents(&mut self) {
        let mut kept = WriteSet::default();
        let mut reported = Vec::new();
        for later in std::mem::take(&mut self.people.later) {
            match later {
                Later::Sent {
                    agent,
                    session,
                    client_id,
                    message_id,
                } => {
                    let sent = ToAgent::Sent {
                        client_id,
                        message_id,
                    };
                    self.people.send(agent, Some(session), sent);
                }
                Later::Effect(effect) => self.carry_out_for_agents(*effect, &mut kept),
                Later::Tell(agent, notice) => {
                    self.people.tell(agent, *notice, &self.store, &mut kept);
                    self.measure.metrics().awaiting_ack(1);
                }
                Later::Kept(batch) => reported.push(batch),
                Later::Updated(id) => {
                    if let Some(agent) = self.agents.get(id) {
                        let updated = ToAgent::Updated(Box::new(agent.clone()));
                        self.people.send(id, None, updated);
                    }
                }
            }
        }
        // Written before the group flush that follows, so kept events are as durable as the
        // turns that caused them.
        if !kept.is_empty() {
            if let Err(e) = self.store.write(kept) {
                // The runners' failures stay unconfirmed: they are sent and reported again
                // after a restart.
                tracing::error!(error = %e, "cannot keep agent events for replay");
                return;
            }
        }
        reported.iter().for_each(|batch| batch.kept());
    }

    fn carry_out_for_agents(&mut self, effect: Effect, kept: &mut WriteSet) {
        match effect {
            Effect::Notify { agent, event } => {
                let shown = super::signals::shows_customer(&event);
                if let Some(notice) = self.notice(event) {
                    self.people.tell(agent, notice, &self.store, kept);
                    self.measure.metrics().awaiting_ack(1);
                }
                if let Some(conversation) = shown {
                    self.shown(conversation);
                }
            }
            Effect::Refuse {
                agent,
                conversation,
                code,
                message,
            } => {
                let refused = ToAgent::Refused {
                    code,
                    message,
                    conversation,
                };
                self.people.send(agent, None, refused);
            }
            // Store effects never get here (`write_turns` keeps them).
            Effect::Save(_) | Effect::Record(_) | Effect::Send { .. } | Effect::Schedule { .. } => {
            }
        }
    }

    /// The desk's event, whole; `None` for a conversation that is gone.
    fn notice(&self, event: AgentEvent) -> Option<Notice> {
        Some(match event {
            AgentEvent::Offer {
                conversation,
                expires_at,
            } => {
                if let Some(note) = self
                    .desk
                    .conversation(conversation)
                    .and_then(|c| c.routing.last())
                {
                    tracing::info!(
                        conversation_id = %conversation,
                        agent = %note.offered_to,
                        named_by = ?note.named_by,
                        passed_over = ?note.passed_over,
                        "offered"
                    );
                }
                Notice::Offer {
                    conversation: self.card(conversation)?,
                    expires_at,
                }
            }
            AgentEvent::Assigned { conversation } => Notice::Assigned {
                conversation: self.card(conversation)?,
            },
            AgentEvent::OfferWithdrawn { conversation, why } => {
                Notice::OfferWithdrawn { conversation, why }
            }
            AgentEvent::Message {
                conversation,
                message,
            } => Notice::Message {
                conversation,
                message,
            },
            AgentEvent::Closed { conversation, why } => Notice::Closed { conversation, why },
            AgentEvent::SetAway { why } => Notice::SetAway { why },
            AgentEvent::Nudge {
                conversation,
                requeue_at,
            } => Notice::Reminder {
                conversation,
                requeue_at,
            },
        })
    }

    /// A conversation with its newest messages, as an offer or assignment shows it.
    pub(super) fn card(&self, id: ConversationId) -> Option<Card> {
        let c = self.desk.conversation(id)?;
        let none = TurnList::default();
        let list = self.transcripts.get(&id).unwrap_or(&none);
        let (transcript, earlier) = match self.store.recent_messages(id, list, CARD_MESSAGES) {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(error = %e, conversation_id = %id, "cannot read a transcript for an agent");
                (Vec::new(), false)
            }
        };
        Some(Card {
            id,
            account: c.account.clone(),
            customer: c.customer.clone(),
            ticket: c.ticket().cloned(),
            transcript,
            earlier,
        })
    }
}
