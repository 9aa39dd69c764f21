//! The Twitter/X channel: Account Activity webhooks in, v1.1 Direct Messages out with the Custom
//! Profile in force, and the account's Custom Profiles kept on the platform.

mod crc;
mod inbound;
mod sent;
pub mod signals;
mod signature;

pub use crc::{crc_response, WEBHOOK_PATH};
pub use inbound::{parse, CustomerMessage, Delivery, Echo, Event, TwitterError};
pub use sent::SentIds;
pub use signature::{sign, verify, SIGNATURE_HEADER};
pub mod api;
pub mod oauth;
pub mod outbound;
pub mod profiles;
pub mod status;
