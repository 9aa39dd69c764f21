//! The agent WebSocket, protocol 1 (`docs/agent-protocol.md`): `protocol` knows the frames and
//! `wire` the JSON shapes of the values in them (the only files that know the agent JSON),
//! `render` turns what the engine tells an agent into frames,
//! `session` runs one socket's conversation with an agent, `gateway` accepts the upgrade and
//! sizes the socket, and `token` makes and hashes agent tokens.

pub mod gateway;
pub mod protocol;
pub mod render;
pub mod session;
pub mod token;
pub mod wire;
