//! Connectors to messaging platforms: each decodes inbound requests purely and sends outbound.

pub mod webhook;
