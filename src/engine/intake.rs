//! What platforms' events become: a customer's message or an answer from outside Baton, taken
//! once (a redelivered event is a duplicate) and answered only once it is durable.

use super::commit::{self, Pending};
use super::{Command, Engine, EngineError, EngineHandle, Reply};
use crate::domain::{
    AccountId, Attachment, Channel, CustomerId, Effect, EventId, Input, Timestamp,
};
use crate::store::{EventRef, WriteSet};
use std::collections::HashSet;
use tokio::sync::oneshot;

/// An inbound customer message as a channel decoded it.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub event: EventId,
    pub account: AccountId,
    pub channel: Channel,
    pub customer: CustomerId,
    pub name: Option<String>,
    pub text: String,
    pub payload: Option<String>,
    /// What the customer sent beside the text (media on Twitter/X).
    pub attachments: Vec<Attachment>,
}

/// The brand's account wrote to a customer from an app other than Baton (a channel's echo of
/// someone answering outside).
#[derive(Debug, Clone)]
pub struct OutsideReply {
    pub event: EventId,
    pub account: AccountId,
    pub channel: Channel,
    pub customer: CustomerId,
}

/// What happened to an inbound message; told only once it is durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    Accepted,
    Duplicate,
}

impl Inbound {
    pub(super) fn into_input(self) -> (EventRef, Input) {
        let event = EventRef {
            account: self.account,
            channel: self.channel,
            id: self.event,
        };
        let input = Input::CustomerMessage {
            channel: self.channel,
            customer: self.customer,
            name: self.name,
            text: self.text,
            payload: self.payload,
            attachments: self.attachments,
        };
        (event, input)
    }
}

impl OutsideReply {
    pub(super) fn into_input(self) -> (EventRef, Input) {
        let event = EventRef {
            account: self.account,
            channel: self.channel,
            id: self.event,
        };
        let input = Input::TakenOutside {
            channel: self.channel,
            customer: self.customer,
        };
        (event, input)
    }
}

impl EngineHandle {
    pub async fn inbound(&self, dm: Inbound) -> Result<Intake, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(Command::Inbound(dm, reply), rx).await
    }

    /// An answer from outside Baton; answers once it is durable (a redelivery is a
    /// duplicate).
    pub async fn outside(&self, reply: OutsideReply) -> Result<Intake, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.call(Command::Outside(reply, tx), rx).await
    }
}

/// The caller hears back after the group flush; a refusal at once.
pub(super) fn answer(pending: &mut Pending, reply: Reply<Intake>, r: Result<Intake, EngineError>) {
    match r {
        Ok(intake) => pending.waiters.push(commit::answer(reply, intake)),
        Err(e) => {
            let _ = reply.send(Err(e));
        }
    }
}

impl Engine {
    /// Applies an input a platform event caused, once: a redelivered event is a duplicate.
    pub(super) fn take(
        &mut self,
        event: EventRef,
        input: Input,
        now: Timestamp,
        set: &mut WriteSet,
        fresh: &mut HashSet<EventRef>,
        pending: &mut Pending,
    ) -> Result<Intake, EngineError> {
        let Some(account) = self.accounts.get(&event.account) else {
            return Err(EngineError::UnknownAccount(event.account.0));
        };
        if fresh.contains(&event) {
            return Ok(Intake::Duplicate);
        }
        let seen = self
            .seen
            .contains(&self.store, &event)
            .map_err(|_| EngineError::Unavailable)?;
        if seen {
            return Ok(Intake::Duplicate);
        }
        fresh.insert(event.clone());
        let effects = self.desk.handle(input, now, account);
        // A customer's message: the one the platform marks read once an agent is shown it.
        let recorded = effects.iter().find_map(|e| match e {
            Effect::Record(m) => Some(m.id.conversation),
            _ => None,
        });
        if let (Some(conversation), Channel::Twitter) = (recorded, event.channel) {
            self.signals.heard(conversation, event.id.clone());
        }
        self.write_turns(effects, Some(event), now, set, &mut pending.outgoing);
        Ok(Intake::Accepted)
    }
}
