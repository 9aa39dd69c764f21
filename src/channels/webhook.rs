//! The generic JSON channel, for any platform or bridge (its contract is in the README).

mod inbound;
mod outbound;
mod signature;

pub use inbound::{parse, Incoming, WebhookError};
pub use outbound::{wire, wire_with, Attribution, HttpSink, JsonlSink};
pub use signature::{sign, verify, SIGNATURE_HEADER};
