//! Liveness and readiness probes.

use crate::reload::ReloadOutcome;
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
/// has not for half of it is wedged) and no journal sync has hung that long, and until
/// shutdown begins. After a reload, `reload` says
/// how the last one went (`at`: Unix milliseconds) and lists its errors.
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
    let mut body = json!({ "status": "ready" });
    // Still ready after a failed reload: the daemon serves on with the rules it had.
    if let Some(last) = s.reload.last() {
        body["reload"] = json!({
            "ok": last.outcome == ReloadOutcome::Applied,
            "result": last.outcome.label(),
            "errors": last.errors,
            "at": last.at.0,
        });
    }
    (StatusCode::OK, Json(body))
}
