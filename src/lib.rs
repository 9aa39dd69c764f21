//! Baton: a daemon that answers brand DMs with a rule-driven bot and hands conversations to
//! human agents, switching the Custom Profile so the customer always knows who is writing.
//!
//! See ARCHITECTURE.md for the map. The binary (`main.rs`) is a thin CLI over [`app`].
#![forbid(unsafe_code)]

pub mod admin_client;
pub mod agents;
pub mod app;
pub mod channels;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod engine;
#[cfg(test)]
mod golden;
pub mod http;
pub mod journal;
pub mod lifecycle;
pub mod metrics;
pub mod outbox;
pub mod reload;
pub mod rules;
pub mod shared;
pub mod shutdown;
pub mod store;
pub mod telemetry;
