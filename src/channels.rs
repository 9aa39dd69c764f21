//! Connectors to messaging platforms: each decodes inbound requests purely and sends outbound.

pub mod twitter;
pub mod webhook;
