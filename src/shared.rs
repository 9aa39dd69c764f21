//! What every request handler and agent socket shares: the engine handle, the accounts served,
//! the secrets, readiness and shutdown. Cheap to clone; holds no lock.

use crate::engine::EngineHandle;
use crate::shutdown::Shutdown;
use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Shared {
    pub engine: EngineHandle,
    pub accounts: Arc<HashSet<String>>,
    pub webhook_secret: Option<Arc<str>>,
    pub admin_token: Option<Arc<str>>,
    pub ready: Arc<AtomicBool>,
    /// How long a new agent socket has to send its `auth` frame.
    pub agent_auth_timeout: Duration,
    pub shutdown: Shutdown,
}
