//! `GET /metrics`: Prometheus text exposition, with no token. It carries no message text, no
//! customer or conversation ids (see `crate::metrics`), so it may be scraped like `/healthz`.
//! With `[metrics] enabled = false` it is a 404 like any unknown path.

use super::ApiError;
use crate::domain::{Channel, Timestamp};
use crate::engine::Intake;
use crate::metrics::{ChannelLabel, DmOutcome, Metrics, RefusalReason};
use crate::shared::Shared;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// The content type of the Prometheus text format the crate writes.
const TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn scrape(State(s): State<Shared>) -> Result<Response, ApiError> {
    if !s.metrics.is_enabled() {
        return Err(ApiError::NotFound);
    }
    let now = now_ms();
    let census = s.engine.census(Timestamp(now)).await?;
    s.metrics.census(&census);
    let text = s.metrics.encode(now).ok_or(ApiError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, TEXT)], text).into_response())
}

/// Wall-clock milliseconds, as messages' and tickets' times are kept.
fn now_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Counts what became of a channel's request: each message taken (accepted or duplicate) and
/// the acknowledgement's latency, or the refusal and its reason.
pub(super) fn dm_answered(
    metrics: &Metrics,
    channel: Channel,
    answer: &Result<Intake, ApiError>,
    started: Instant,
) {
    let channel = ChannelLabel::from(channel);
    match answer {
        Ok(intake) => {
            metrics.dm(channel, outcome(*intake));
            metrics.acked(channel, started.elapsed());
        }
        Err(e) => metrics.dm_refused(channel, refusal(e)),
    }
}

pub(super) fn outcome(intake: Intake) -> DmOutcome {
    match intake {
        Intake::Accepted => DmOutcome::Accepted,
        Intake::Duplicate => DmOutcome::Duplicate,
    }
}

/// Why a channel's request was refused, in the metrics' closed set.
pub(super) fn refusal(e: &ApiError) -> RefusalReason {
    match e {
        ApiError::TooLarge(_) => RefusalReason::TooLarge,
        ApiError::Unauthorized(_) => RefusalReason::BadSignature,
        ApiError::Misdirected(_) | ApiError::MisdirectedUser(_) => RefusalReason::Misdirected,
        ApiError::Unavailable(_) => RefusalReason::Unavailable,
        _ => RefusalReason::Malformed,
    }
}
