//! What the engine tells an agent, as protocol-1 frames: a notice becomes its frame (numbered),
//! a `sent` receipt or a refusal theirs, and the desk's closed reasons get their wire spelling
//! here and nowhere else.

use super::protocol::ServerFrame;
use super::wire::PresenceJson;
use crate::domain::{Agent, Card, LetGo, Notice, Presence, Refusal, SetAway, Withdrawn};
use crate::engine::ToAgent;
use crate::rules::Canned;

impl ServerFrame {
    /// The first frame of an authenticated socket, with the canned replies of the agent's
    /// account.
    pub fn welcome(agent: &Agent, presence: Presence, held: &[Card], canned: &[Canned]) -> Self {
        ServerFrame::Welcome {
            agent: agent.into(),
            profile: (&agent.profile).into(),
            presence: presence.into(),
            conversations: held.iter().map(|c| c.id.to_string()).collect(),
            held: held.iter().map(Into::into).collect(),
            canned: canned.iter().map(Into::into).collect(),
        }
    }

    /// The frame that tells an agent a notice.
    pub fn notice(notice: &Notice) -> ServerFrame {
        match notice {
            Notice::Offer {
                conversation,
                expires_at,
            } => ServerFrame::Offer {
                conversation: conversation.into(),
                expires_at: expires_at.to_string(),
            },
            Notice::OfferWithdrawn { conversation, why } => ServerFrame::OfferWithdrawn {
                conversation_id: conversation.to_string(),
                why: withdrawn(*why),
            },
            Notice::Assigned { conversation } => ServerFrame::Assigned {
                conversation: conversation.into(),
            },
            Notice::Message {
                conversation,
                message,
            } => ServerFrame::Message {
                conversation_id: conversation.to_string(),
                message: message.into(),
            },
            Notice::Closed { conversation, why } => ServerFrame::Closed {
                conversation_id: conversation.to_string(),
                why: let_go(*why),
            },
            Notice::SetAway { why } => ServerFrame::Presence {
                status: PresenceJson::Away,
                why: set_away(*why),
            },
            Notice::Reminder {
                conversation,
                requeue_at,
            } => ServerFrame::Reminder {
                conversation_id: conversation.to_string(),
                requeue_at: requeue_at.to_string(),
            },
            Notice::Delivered { message } => ServerFrame::Delivery {
                message_id: message.to_string(),
                status: "delivered",
                reason: None,
            },
            Notice::DeliveryFailed { message, reason } => ServerFrame::Delivery {
                message_id: message.to_string(),
                status: "failed",
                reason: Some(reason.clone()),
            },
        }
    }
}

/// The text of what the engine tells a socket. Events carry their number; an event kept by an
/// earlier release is sent as it was kept.
pub fn render(item: &ToAgent) -> String {
    match item {
        ToAgent::Event(seq, notice) => ServerFrame::notice(notice).to_text_with_seq(*seq),
        ToAgent::Frame(text) => text.to_string(),
        ToAgent::Sent {
            client_id,
            message_id,
        } => ServerFrame::Sent {
            client_id: client_id.clone(),
            message_id: message_id.to_string(),
        }
        .to_text(),
        ToAgent::Typing { conversation } => ServerFrame::Typing {
            conversation_id: conversation.to_string(),
        }
        .to_text(),
        ToAgent::Read {
            conversation,
            message,
        } => ServerFrame::Read {
            conversation_id: conversation.to_string(),
            message_id: message.map(|m| m.to_string()),
        }
        .to_text(),
        ToAgent::Updated(agent) => ServerFrame::AgentUpdated {
            agent: agent.as_ref().into(),
            profile: (&agent.profile).into(),
        }
        .to_text(),
        ToAgent::Refused {
            code,
            message,
            conversation,
        } => ServerFrame::Error {
            code: refusal(*code),
            message: message.clone(),
            reference: Some(conversation.to_string()),
        }
        .to_text(),
    }
}

fn withdrawn(why: Withdrawn) -> &'static str {
    match why {
        Withdrawn::Declined => "declined",
        Withdrawn::Timeout => "timeout",
        Withdrawn::AgentGone => "agent_gone",
        Withdrawn::CustomerLeft => "customer_left",
        Withdrawn::TakenOutside => "taken_outside",
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
        Refusal::TooLong => "too_long",
    }
}
