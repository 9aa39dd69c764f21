//! The generic JSON channel, for any platform or bridge (contract in `shared/design.md`).

mod inbound;
mod outbound;
mod signature;

pub use inbound::{parse, WebhookError};
pub use outbound::{wire, HttpSink, JsonlSink};
pub use signature::{sign, verify, SIGNATURE_HEADER};
