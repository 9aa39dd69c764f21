//! Liveness and readiness probes.

use crate::shared::Shared;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready once start-up finished (store open, rules loaded, tasks running), while the engine
/// loop keeps turning (it turns at least every quarter of the watchdog interval, so one that
/// has not for half of it is wedged), and until shutdown begins.
pub async fn readyz(State(s): State<Shared>) -> (StatusCode, Json<Value>) {
    let unavailable = |body| (StatusCode::SERVICE_UNAVAILABLE, Json(body));
    if !s.ready.load(Ordering::Acquire) {
        return unavailable(json!({ "status": "starting" }));
    }
    if s.shutdown.is_triggered() {
        return unavailable(json!({ "status": "stopping" }));
    }
    if let Some(stalled) = s.heartbeat.stalled() {
        return unavailable(json!({
            "status": "stalled",
            "engine_idle_ms": u64::try_from(stalled.as_millis()).unwrap_or(u64::MAX),
        }));
    }
    (StatusCode::OK, Json(json!({ "status": "ready" })))
}
