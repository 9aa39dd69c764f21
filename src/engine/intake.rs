//! What platforms' events become: a customer's message or an answer from outside Baton, taken
//! once (a redelivered event is a duplicate) and answered only once it is durable.
//!
//! A customer whose conversation is at rest (in the store, not in memory) is found through the
//! store's customer index, and the conversation is admitted to the desk before the input is.

use super::commit::{self, Pending};
use super::{Command, Engine, EngineError, EngineHandle, Reply};
use crate::domain::{
    AccountId, Attachment, Channel, ConversationId, CustomerId, Effect, EventId, Input, Timestamp,
};
use crate::store::{EventRef, StoreError, TurnList, WriteSet};
use foldhash::HashSet;
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
    /// What the person wrote (and sent beside it): kept in the transcript, never sent again.
    pub text: String,
    pub attachments: Vec<Attachment>,
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
            text: self.text,
            attachments: self.attachments,
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
        if !self.accounts.contains_key(&event.account) {
            return Err(EngineError::UnknownAccount(event.account.0));
        }
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
        let admitted = self
            .admit_customer(&event.account, &input)
            .map_err(|_| EngineError::Unavailable)?;
        let Some(account) = self.accounts.get(&event.account) else {
            return Err(EngineError::UnknownAccount(event.account.0));
        };
        let before = self.measure.before(&self.desk, &event.account, &input);
        let effects = super::logbook::handle(&mut self.desk, input, now, account);
        self.measure.bot_turn(before, &effects);
        // A customer's message: the one the platform marks read once an agent is shown it.
        let recorded = effects.iter().find_map(|e| match e {
            Effect::Record(m) => Some(m.id.conversation),
            _ => None,
        });
        if let (Some(conversation), Channel::Twitter) = (recorded, event.channel) {
            self.signals.heard(conversation, event.id.clone());
        }
        self.write_turns(effects, Some(event), now, set, &mut pending.outgoing);
        if let Some((id, turns)) = admitted {
            // Nothing happened to it (no turn): it is at rest as stored, so it goes again.
            if self.transcripts.get(&id).map(TurnList::len) == Some(turns) && self.desk.evict(id) {
                self.transcripts.remove(&id);
            }
        }
        Ok(Intake::Accepted)
    }

    /// Brings the input's customer's conversation back from the store if it is at rest there;
    /// returns its id and how many turns it had.
    fn admit_customer(
        &mut self,
        account: &AccountId,
        input: &Input,
    ) -> Result<Option<(ConversationId, u64)>, StoreError> {
        let (channel, customer) = match input {
            Input::CustomerMessage {
                channel, customer, ..
            }
            | Input::TakenOutside {
                channel, customer, ..
            } => (*channel, customer),
            _ => return Ok(None),
        };
        if self.desk.find(account, channel, customer).is_some() {
            return Ok(None);
        }
        let Some(id) = self
            .store
            .customer_conversation(account, channel, customer)?
        else {
            return Ok(None);
        };
        let Some(record) = self.store.conversation(id)? else {
            return Ok(None);
        };
        let turns = record.turns.len();
        self.transcripts.insert(id, record.turns);
        self.desk.admit(record.conversation);
        Ok(Some((id, turns)))
    }
}
