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

/// Ready once start-up finished (store open, rules loaded, tasks running).
pub async fn readyz(State(s): State<Shared>) -> (StatusCode, Json<Value>) {
    if s.ready.load(Ordering::Acquire) {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "starting" })),
        )
    }
}
