//! What goes into the core (`Input`: events) and what comes out (`Effect`: commands).

use super::conversation::{Conversation, Customer};
use super::ids::{AccountId, Channel, CustomerId};
use super::message::Message;

/// An event the desk reacts to. The account is passed beside it, already resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A customer wrote to the account (already deduplicated by event id).
    CustomerMessage {
        channel: Channel,
        customer: CustomerId,
        name: Option<String>,
        text: String,
        payload: Option<String>,
    },
}

/// A command for the engine. All effects of one input are written in one atomic batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Persist this snapshot of the conversation (the highest revision wins).
    Save(Conversation),
    /// Append an inbound message to the transcript.
    Record(Message),
    /// Append an outgoing message to the transcript and put it in the outbox.
    Send {
        account: AccountId,
        to: Customer,
        message: Message,
    },
}
