//! What every request passes once, around the router rather than around each route: a channel
//! POST refused while the daemon stops (`lifecycle::stopping`), a `?account=` this daemon does
//! not own refused with 421 before any handler (`owner`), and axum's own plain-text refusals
//! made JSON on the way out (`error::jsonify`).
//!
//! Three `axum::middleware` layers did this before, each wrapping every route: each boxed a
//! future and cloned the service it wraps on every request, twice with the whole `Shared`. Here
//! it is plain code in the one future `serve` already runs per request, and a request with no
//! query string is not parsed for an account at all.

use super::error::jsonify;
use super::owner;
use crate::lifecycle;
use crate::shutdown::Shutdown;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::Router;
use foldhash::HashSet;
use hyper::service::Service as _;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;

/// The router with the checks every request passes (`serve` answers through it).
pub struct Guarded {
    router: TowerToHyperService<Router>,
    /// The accounts this daemon owns (`Shared::accounts`).
    accounts: Arc<HashSet<String>>,
    shutdown: Shutdown,
}

impl Guarded {
    pub fn new(router: Router, accounts: Arc<HashSet<String>>, shutdown: Shutdown) -> Guarded {
        Guarded {
            router: TowerToHyperService::new(router),
            accounts,
            shutdown,
        }
    }

    /// Answers one request: refused before routing, or routed and its refusal made JSON.
    pub async fn answer(&self, req: Request) -> Response {
        if let Some(refusal) = self.refusal(&req) {
            return refusal;
        }
        let res = match self.router.call(req).await {
            Ok(res) => res,
            Err(never) => match never {},
        };
        jsonify(res).await
    }

    /// Why `req` is answered without reaching a handler, if it is. Stopping comes first: a
    /// platform must hear `Retry-After` whatever account its delivery names.
    fn refusal(&self, req: &Request) -> Option<Response> {
        if lifecycle::is_channel_post(req.method(), req.uri().path())
            && self.shutdown.is_triggered()
        {
            return Some(lifecycle::stopping());
        }
        owner::misdirected(req.uri(), &self.accounts).map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests;
