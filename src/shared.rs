//! What every request handler and agent socket shares: the engine handle, the accounts served,
//! the secrets, readiness and shutdown. Cloned for every request (each handler's `State`), so a
//! clone is one reference count: the parts sit behind a single `Arc`. Holds no lock.

use crate::channels::twitter::status::SendStatus;
use crate::domain::AccountId;
use crate::engine::EngineHandle;
use crate::shutdown::Shutdown;
use foldhash::{HashMap, HashSet};
use std::ops::Deref;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// The parts, shared: handlers read `s.engine`, `s.accounts`... through `Deref`.
#[derive(Clone)]
pub struct Shared(Arc<Parts>);

impl Shared {
    pub fn new(parts: Parts) -> Shared {
        Shared(Arc::new(parts))
    }
}

impl Deref for Shared {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

/// What `Shared` holds; built once at start-up (`app`), read-only once serving.
pub struct Parts {
    pub engine: EngineHandle,
    pub accounts: Arc<HashSet<String>>,
    pub webhook_secret: Option<Arc<str>>,
    /// Present when `[channels.twitter]` is configured.
    pub twitter: Option<Arc<TwitterIn>>,
    /// What the Twitter sink learns about each account's sending, when the channel is on.
    pub twitter_status: Option<SendStatus>,
    /// Twitter's profile keeper (for `POST /v1/profiles/sync`), when the channel is configured.
    pub profile_keeper: Option<Arc<crate::channels::twitter::profiles::ProfileKeeper>>,
    pub admin_token: Option<Arc<str>>,
    pub ready: Arc<AtomicBool>,
    /// The engine loop's heartbeat: `/readyz` fails when the loop stopped turning.
    pub heartbeat: crate::engine::Heartbeat,
    /// How long a new agent socket has to send its `auth` frame.
    pub agent_auth_timeout: Duration,
    /// Each account's canned replies, for its agents' `welcome`.
    pub canned: Arc<crate::agents::session::CannedReplies>,
    /// Whether `/console/try` is served (`[console] try_page`).
    pub try_page: bool,
    pub shutdown: Shutdown,
    /// Reloading the config's rules (`POST /v1/admin/reload`, SIGHUP) and the last outcome.
    pub reload: crate::reload::Reload,
    /// Counted everywhere a request or socket does something; served at `GET /metrics`.
    pub metrics: crate::metrics::Metrics,
}

/// What the Twitter/X webhook needs: the key of its challenge and signatures, and which account
/// each brand user id (a delivery's `for_user_id`) is.
pub struct TwitterIn {
    pub consumer_secret: String,
    pub accounts: HashMap<String, AccountId>,
    /// The app's id: an echo from it is Baton's own send.
    pub app_id: Option<String>,
    /// What the Twitter sink sent lately: their echoes are Baton's own too.
    pub sent: crate::channels::twitter::SentIds,
}
