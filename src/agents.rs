//! The agent WebSocket, protocol 1 (`docs/agent-protocol.md`): `protocol` is the only file
//! that knows the JSON, `session` runs one socket's conversation with an agent, and `gateway`
//! accepts the upgrade and sizes the socket.

pub mod gateway;
pub mod protocol;
pub mod session;
pub mod token;
