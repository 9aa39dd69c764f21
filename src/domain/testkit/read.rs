//! Readers for the effects a step produced, and `check` for scenarios of customer messages.

use super::World;
use crate::domain::*;

/// Each message sent to the customer: who wrote it, the profile it is signed with, the text.
pub(crate) fn sent(effects: &[Effect]) -> Vec<(Author, String, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { message, .. } => Some((
                message.from,
                message
                    .profile
                    .as_ref()
                    .map(|p| p.id.clone())
                    .unwrap_or_default(),
                message.text.clone(),
            )),
            _ => None,
        })
        .collect()
}

pub(crate) fn offers(effects: &[Effect]) -> Vec<(u64, ConversationId)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify {
                agent,
                event: AgentEvent::Offer { conversation, .. },
            } => Some((agent.0, *conversation)),
            _ => None,
        })
        .collect()
}

pub(crate) fn refused(effects: &[Effect]) -> Vec<Refusal> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Refuse { code, .. } => Some(*code),
            _ => None,
        })
        .collect()
}

/// The texts sent to the customer.
pub(crate) fn texts(effects: &[Effect]) -> Vec<String> {
    sent(effects).into_iter().map(|(_, _, t)| t).collect()
}

/// What agent `n` was told.
pub(crate) fn told(effects: &[Effect], n: u64) -> Vec<AgentEvent> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify { agent, event } if agent.0 == n => Some(event.clone()),
            _ => None,
        })
        .collect()
}

/// One customer message of a scenario: (customer, text, payload).
pub(crate) type Msg = (&'static str, &'static str, Option<&'static str>);

/// A scenario step: the message, the state after it, exactly what the bot said.
pub(crate) type Step = (Msg, &'static str, &'static [&'static str]);

/// Runs the steps in order (each customer introduced as "Jo"); after each, the customer's
/// conversation must be in `state` and the bot must have said exactly `said`, signed as the
/// bot under the conversation's epoch.
pub(crate) fn check(w: &mut World, steps: &[Step]) {
    for (i, (msg, state, said)) in steps.iter().enumerate() {
        let (who, text, payload) = *msg;
        let effects = w.message(who, Some("Jo"), text, payload);
        let texts: Vec<&str> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Send { message, .. } => Some(message.text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(&texts, said, "step {i} {msg:?}: what the bot said");
        // The inbound message is recorded first, the final snapshot saved last (then only
        // moves of its deadline).
        assert!(matches!(effects.first(), Some(Effect::Record(m)) if m.from == Author::Customer));
        let last = effects
            .iter()
            .rev()
            .find(|e| !matches!(e, Effect::Schedule { .. }));
        let Some(Effect::Save(conv)) = last else {
            panic!("step {i}: last effect must be Save: {effects:?}");
        };
        assert_eq!(conv.state.name(), *state, "step {i} {msg:?}: state");
        assert_eq!(conv.updated_at, Timestamp(w.now));
        for e in &effects {
            if let Effect::Send { message, to, .. } = e {
                assert_eq!(
                    message.profile.as_ref(),
                    Some(&w.account.bot),
                    "bot messages carry the bot profile"
                );
                assert_eq!(message.from, Author::Bot);
                assert_eq!(message.epoch, conv.epoch);
                assert_eq!(to.id.as_str(), who);
            }
        }
    }
}
