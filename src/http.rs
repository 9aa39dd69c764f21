//! The one HTTP port: channels, admin API, health, the web console. Handlers decode, call the engine, and encode
//! with the admin API's own JSON types (`json`).

mod admin;
mod agents;
mod backup;
mod channels;
mod console;
mod error;
pub mod guard;
mod health;
mod json;
mod metrics;
pub mod owner;
mod profile_sync;
pub mod serve;
mod transcripts;
mod try_page;
mod twitter;
mod webhook;

use crate::shared::Shared;
use axum::routing::{delete, get, post};
use axum::Router;

pub use error::ApiError;

/// Largest request body accepted anywhere.
pub const MAX_BODY: usize = 64 * 1024;

/// Where agents open their WebSocket (counted against `max_agent_sockets` by `serve`).
pub const AGENT_SOCKET_PATH: &str = "/v1/agents/ws";

/// What `serve` answers with: the routes, behind the checks every request passes (`guard`).
pub fn service(state: Shared) -> guard::Guarded {
    let (accounts, shutdown) = (state.accounts.clone(), state.shutdown.clone());
    guard::Guarded::new(routes(state), accounts, shutdown)
}

fn routes(state: Shared) -> Router {
    Router::new()
        .route("/v1/channels", get(channels::list))
        .route("/v1/channels/webhook/messages", post(webhook::inbound))
        .route(
            crate::channels::twitter::WEBHOOK_PATH,
            get(twitter::crc).post(twitter::deliveries),
        )
        .route("/v1/queue/{account}", get(admin::queue))
        .route("/v1/conversations", get(transcripts::list))
        .route("/v1/conversations/{id}", get(admin::conversation))
        .route("/v1/export", get(transcripts::export))
        .route("/v1/stats", get(admin::stats))
        .route("/v1/admin/backup", get(backup::download))
        .route("/v1/admin/reload", post(admin::reload))
        .route("/v1/agents", post(agents::add).get(agents::list))
        .route(
            "/v1/agents/{id}",
            delete(agents::remove).patch(agents::edit),
        )
        .route("/v1/agents/{id}/disable", post(agents::disable))
        .route("/v1/agents/{id}/enable", post(agents::enable))
        .route("/v1/agents/{id}/token", post(agents::rotate_token))
        .route("/v1/profiles", get(agents::profiles))
        .route("/v1/profiles/sync", post(profile_sync::sync))
        .route(
            "/v1/try/{account}/{customer}/messages",
            get(try_page::messages),
        )
        .route(AGENT_SOCKET_PATH, get(crate::agents::gateway::upgrade))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::scrape))
        .merge(console::routes(state.try_page))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
}

#[cfg(test)]
mod golden;
