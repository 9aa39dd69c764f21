//! The pure core: conversations, the queue and the state machine that moves them.
//!
//! Nothing here does I/O or reads a clock. [`Desk::handle`] takes an [`Input`], the time and the
//! account it concerns, updates the in-memory state and returns the [`Effect`]s the engine must
//! carry out (persist, send). Imports no tokio, sled, HTTP or serde: the stored records (`store`)
//! and the wire formats (`agents::wire`, `http::json`, `channels`) are types of their own.

mod account;
mod agent;
mod bot;
mod conversation;
mod conversations;
mod desk;
mod effect;
mod estimate;
mod handoff;
mod hours;
mod ids;
mod lines;
mod message;
mod notice;
mod offers;
mod outside;
mod queue;
mod reasons;
mod routing;
mod seats;
mod timers;
mod turn;
mod waiting;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use account::Account;
pub use agent::{
    check_profile_name, profile_clash, Agent, AgentId, NewAgent, Presence, ProfileClash,
    MAX_PROFILE_NAME,
};
pub use conversation::{Conversation, Customer, FollowUp, Outside, State, Ticket};
pub use desk::Desk;
pub use effect::{AgentEvent, Effect, Input, Timer, TransferTo};
pub use hours::{Hours, HoursError};
pub use ids::{AccountId, Channel, ConversationId, CustomerId, EventId, MessageId, Timestamp};
pub use message::{Attachment, AttachmentKind, Author, Message, Profile, QuickReply};
pub use notice::{Card, Notice};
pub use queue::Queue;
pub use reasons::{LetGo, Lined, Passed, Refusal, SetAway, Withdrawn};
pub use routing::{PassedOver, RoutingNote};
pub use seats::Seat;
pub use timers::{due, Due};
