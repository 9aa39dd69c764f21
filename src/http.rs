//! The one HTTP port: channels, admin API, health. Handlers decode, call the engine, encode.

mod admin;
mod agents;
mod error;
mod health;
mod webhook;

use crate::engine::EngineHandle;
use crate::shutdown::Shutdown;
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

pub use agents::token_sha256 as hash_token;
pub use error::ApiError;

/// Largest request body accepted anywhere.
pub const MAX_BODY: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub engine: EngineHandle,
    pub accounts: Arc<HashSet<String>>,
    pub webhook_secret: Option<Arc<str>>,
    pub admin_token: Option<Arc<str>>,
    pub ready: Arc<AtomicBool>,
    /// How long a new agent socket has to send its `auth` frame.
    pub agent_auth_timeout: Duration,
    pub shutdown: Shutdown,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/channels/webhook/messages", post(webhook::inbound))
        .route("/v1/queue/{account}", get(admin::queue))
        .route("/v1/conversations/{id}", get(admin::conversation))
        .route("/v1/stats", get(admin::stats))
        .route("/v1/agents", post(agents::add).get(agents::list))
        .route("/v1/profiles", get(agents::profiles))
        .route("/v1/agents/ws", get(crate::agents::gateway::upgrade))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
}
