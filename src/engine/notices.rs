//! Telling agents what happened: turns the desk's agent effects (and `sent` receipts) into
//! frames for their sockets, once the batch that caused them is written.

use super::people::Notice;
use super::Engine;
use crate::agents::protocol::{OfferedConversation, ServerFrame};
use crate::domain::{
    AgentEvent, ConversationId, Effect, LetGo, Presence, Refusal, SetAway, Withdrawn,
};
use crate::store::WriteSet;

impl Engine {
    /// Carries out agent notices; called once the batch that caused them is written.
    pub(super) fn tell_agents(&mut self) {
        let mut kept = WriteSet::default();
        for notice in std::mem::take(&mut self.people.notices) {
            match notice {
                Notice::Sent {
                    agent,
                    session,
                    client_id,
                    message_id,
                } => {
                    let frame = ServerFrame::Sent {
                        client_id,
                        message_id,
                    }
                    .to_text();
                    let sockets = self.people.sockets.get(&agent).into_iter().flatten();
                    for (_, socket) in sockets.filter(|(s, _)| *s == session) {
                        let _ = socket.send(frame.clone());
                    }
                }
                Notice::Effect(effect) => self.carry_out_for_agents(*effect, &mut kept),
            }
        }
        // Written before the group flush that follows, so kept events are as durable as the
        // turns that caused them.
        if !kept.is_empty() {
            if let Err(e) = self.store.write(kept) {
                tracing::error!(error = %e, "cannot keep agent events for replay");
            }
        }
    }

    fn carry_out_for_agents(&mut self, effect: Effect, kept: &mut WriteSet) {
        match effect {
            Effect::Notify { agent, event } => {
                if let Some(frame) = self.frame(event) {
                    self.people.tell(agent, &frame, &self.store, kept);
                }
            }
            Effect::Refuse {
                agent,
                conversation,
                code,
                message,
            } => {
                let frame = ServerFrame::Error {
                    code: refusal(code),
                    message,
                    reference: Some(conversation.to_string()),
                };
                self.people.tell(agent, &frame, &self.store, kept);
            }
            // Store effects never get here (`write_turns` keeps them).
            Effect::Save(_) | Effect::Record(_) | Effect::Send { .. } | Effect::Schedule { .. } => {
            }
        }
    }

    fn frame(&self, event: AgentEvent) -> Option<ServerFrame> {
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
                        %conversation,
                        agent = %note.offered_to,
                        named_by = ?note.named_by,
                        passed_over = ?note.passed_over,
                        "offered"
                    );
                }
                ServerFrame::Offer {
                    conversation: self.offered(conversation)?,
                    expires_at,
                }
            }
            AgentEvent::Assigned { conversation } => ServerFrame::Assigned {
                conversation: self.offered(conversation)?,
            },
            AgentEvent::OfferWithdrawn { conversation, why } => ServerFrame::OfferWithdrawn {
                conversation_id: conversation,
                why: withdrawn(why),
            },
            AgentEvent::Message {
                conversation,
                message,
            } => ServerFrame::Message {
                conversation_id: conversation,
                message,
            },
            AgentEvent::Closed { conversation, why } => ServerFrame::Closed {
                conversation_id: conversation,
                why: let_go(why),
            },
            AgentEvent::SetAway { why } => ServerFrame::Presence {
                status: Presence::Away,
                why: set_away(why),
            },
            AgentEvent::Nudge {
                conversation,
                requeue_at,
            } => ServerFrame::Reminder {
                conversation_id: conversation,
                requeue_at,
            },
        })
    }

    /// A conversation with its whole transcript, as an offer or assignment shows it.
    fn offered(&self, id: ConversationId) -> Option<OfferedConversation> {
        let c = self.desk.conversation(id)?;
        let turns = self.transcripts.get(&id).map_or(&[][..], Vec::as_slice);
        let transcript = match self.store.transcript(turns) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, conversation = %id, "cannot read a transcript for an agent");
                Vec::new()
            }
        };
        Some(OfferedConversation {
            id,
            account: c.account.0.clone(),
            customer: c.customer.clone(),
            ticket: c.ticket().cloned(),
            transcript,
        })
    }
}

// The agent protocol's spelling of the desk's reasons and codes.

fn withdrawn(why: Withdrawn) -> &'static str {
    match why {
        Withdrawn::Declined => "declined",
        Withdrawn::Timeout => "timeout",
        Withdrawn::AgentGone => "agent_gone",
        Withdrawn::CustomerLeft => "customer_left",
    }
}

fn let_go(why: LetGo) -> &'static str {
    match why {
        LetGo::Released => "released",
        LetGo::Resolved => "resolved",
        LetGo::CustomerIdle => "customer_idle",
        LetGo::Transferred => "transferred",
        LetGo::NoFirstReply => "no_first_reply",
    }
}

fn set_away(why: SetAway) -> &'static str {
    match why {
        SetAway::OffersLapsed => "offers lapsed twice in a row",
    }
}

fn refusal(code: Refusal) -> &'static str {
    match code {
        Refusal::NotOffered => "not_offered",
        Refusal::NotAssigned => "not_assigned",
        Refusal::NotConnected => "not_connected",
        Refusal::AgentUnavailable => "agent_unavailable",
    }
}
