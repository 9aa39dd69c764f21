//! What the engine writes in the log about conversations, around each input the desk handles.
//!
//! The operator's questions are "who took it, when did it go to a person, who gave it back",
//! so those moves are `info` lines; each carries `conversation_id` (the one field name every
//! line about a conversation uses) and never message text. Text, the customer's and everyone
//! else's, is only at `debug`, for a developer reproducing a case on their own machine.

use crate::domain::{
    Account, AgentId, Author, ConversationId, Desk, Effect, Input, State, Timer, Timestamp,
};

/// What the input was, as far as the log cares; taken before the desk consumes it.
#[derive(Debug, Clone, Copy)]
enum Act {
    Customer,
    Deadline,
    Accept(AgentId),
    Decline(AgentId),
    Send(AgentId),
    Release(AgentId),
    Resolve(AgentId),
    Transfer(AgentId),
    Other,
}

/// Runs `input` through the desk and logs what it did to the conversation it was about.
pub(super) fn handle(
    desk: &mut Desk,
    input: Input,
    now: Timestamp,
    account: &Account,
) -> Vec<Effect> {
    let (act, target) = about(desk, &input, account);
    let before = target
        .and_then(|id| desk.conversation(id))
        .map(|c| c.state.name());
    let effects = desk.handle(input, now, account);
    log(act, target, before, &effects);
    effects
}

/// The act, and the conversation it concerns if that is known before the desk runs.
fn about(desk: &Desk, input: &Input, account: &Account) -> (Act, Option<ConversationId>) {
    match input {
        Input::CustomerMessage {
            channel, customer, ..
        } => {
            let id = desk.find(&account.id, *channel, customer).map(|c| c.id);
            (Act::Customer, id)
        }
        Input::Deadline {
            timer: Timer::Conversation(id),
            ..
        } => (Act::Deadline, Some(*id)),
        Input::Accept {
            agent,
            conversation,
        } => (Act::Accept(*agent), Some(*conversation)),
        Input::Decline {
            agent,
            conversation,
        } => (Act::Decline(*agent), Some(*conversation)),
        Input::AgentSend {
            agent,
            conversation,
            ..
        } => (Act::Send(*agent), Some(*conversation)),
        Input::Release {
            agent,
            conversation,
        } => (Act::Release(*agent), Some(*conversation)),
        Input::Resolve {
            agent,
            conversation,
        } => (Act::Resolve(*agent), Some(*conversation)),
        Input::Transfer {
            agent,
            conversation,
            ..
        } => (Act::Transfer(*agent), Some(*conversation)),
        _ => (Act::Other, None),
    }
}

fn log(act: Act, target: Option<ConversationId>, before: Option<&'static str>, effects: &[Effect]) {
    for effect in effects {
        match effect {
            Effect::Record(m) => tracing::debug!(
                conversation_id = %m.id.conversation,
                message_id = %m.id,
                text = %m.text,
                "customer message"
            ),
            Effect::Send { message: m, .. } => {
                tracing::debug!(
                    conversation_id = %m.id.conversation,
                    message_id = %m.id,
                    from = ?m.from,
                    text = %m.text,
                    "message to the customer"
                );
                if let (Act::Send(agent), Author::Agent) = (act, m.from) {
                    tracing::info!(
                        conversation_id = %m.id.conversation,
                        %agent,
                        message_id = %m.id,
                        "agent message sent"
                    );
                }
            }
            Effect::Refuse {
                agent,
                conversation,
                code,
                ..
            } => tracing::info!(
                conversation_id = %conversation,
                %agent,
                ?code,
                ?act,
                "agent action refused"
            ),
            _ => {}
        }
    }
    // The conversation as the input left it: the last snapshot the desk saved of it, or for a
    // customer's first message (no conversation before) the one it opened.
    let after = effects.iter().rev().find_map(|e| match e {
        Effect::Save(c) if target.is_none_or(|id| id == c.id) => Some(c),
        _ => None,
    });
    let Some(after) = after else {
        return;
    };
    let id = after.id;
    let now = after.state.name();
    if before == Some(now) {
        return;
    }
    // Lined up for a person by the bot or a timeout; it may already be offered to an agent
    // within the same input, so any snapshot of it in line counts.
    let lined = effects.iter().find_map(|e| match e {
        Effect::Save(c) if c.id == id => match &c.state {
            State::Queued(ticket) | State::Offered { ticket, .. } => Some(ticket),
            _ => None,
        },
        _ => None,
    });
    let was_with_people = matches!(before, Some("queued" | "offered" | "with_agent"));
    match (act, lined) {
        (Act::Customer | Act::Deadline, Some(ticket)) if !was_with_people => {
            tracing::info!(
                conversation_id = %id,
                account = %after.account,
                reason = %ticket.reason,
                priority = ticket.priority,
                "escalated to a person"
            );
            return;
        }
        _ => {}
    }
    match (act, &after.state) {
        (Act::Accept(agent), State::WithAgent { .. }) => {
            tracing::info!(conversation_id = %id, %agent, "accepted")
        }
        (Act::Decline(agent), _) => {
            tracing::info!(conversation_id = %id, %agent, state = now, "declined")
        }
        (Act::Release(agent), _) => {
            tracing::info!(conversation_id = %id, %agent, state = now, "released")
        }
        (Act::Resolve(agent), _) => {
            tracing::info!(conversation_id = %id, %agent, state = now, "resolved")
        }
        (Act::Transfer(agent), _) => {
            tracing::info!(conversation_id = %id, %agent, state = now, "transferred")
        }
        _ => tracing::debug!(
            conversation_id = %id,
            from = before.unwrap_or("none"),
            to = now,
            "state changed"
        ),
    }
}
