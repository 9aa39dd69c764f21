//! The Twitter/X channel: Account Activity webhooks in, v1.1 Direct Messages out with the Custom
//! Profile in force, and the account's Custom Profiles kept on the platform.

pub mod api;
pub mod oauth;
pub mod outbound;
