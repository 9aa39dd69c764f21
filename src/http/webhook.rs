//! `POST /v1/channels/webhook/messages`: acknowledged only once the message is durable.

use super::{ApiError, MAX_BODY};
use crate::channels::webhook::{self, Incoming, SIGNATURE_HEADER};
use crate::domain::Channel;
use crate::engine::Intake;
use crate::shared::Shared;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::Serialize;

/// The answer to a DM taken: `{"status":"accepted"}` or `{"status":"duplicate"}`.
#[derive(Serialize)]
pub struct Taken {
    status: &'static str,
}

/// Takes the whole request: the `HeaderMap` extractor would copy every header, and only two
/// are read.
pub async fn inbound(State(s): State<Shared>, req: Request) -> Result<Json<Taken>, ApiError> {
    let started = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    let taken = take(&s, &parts.headers, body).await;
    super::metrics::dm_answered(&s.metrics, Channel::Webhook, &taken, started);
    let status = match taken? {
        Intake::Accepted => "accepted",
        Intake::Duplicate => "duplicate",
    };
    Ok(Json(Taken { status }))
}

async fn take(s: &Shared, headers: &HeaderMap, body: Body) -> Result<Intake, ApiError> {
    let body = read_body(headers, body).await?;
    if let Some(secret) = &s.webhook_secret {
        let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
        webhook::verify(secret, sig, &body)?;
    }
    let message = webhook::parse(&body)?;
    if !s.accounts.contains(message.account().as_str()) {
        return Err(ApiError::Misdirected(message.account().0.clone()));
    }
    Ok(match message {
        Incoming::Customer(dm) => s.engine.inbound(dm).await?,
        // Someone of the brand answered in the platform's own app: kept, and the bot is quiet.
        Incoming::Brand(reply) => s.engine.outside(reply).await?,
    })
}

/// Reads at most `MAX_BODY` bytes, refusing early when the declared length is already too big.
pub async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(ApiError::TooLarge(MAX_BODY));
    }
    to_bytes(body, MAX_BODY).await.map_err(|e| {
        if std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
        {
            ApiError::TooLarge(MAX_BODY)
        } else {
            ApiError::BadRequest(format!("could not read body: {e}"))
        }
    })
}
