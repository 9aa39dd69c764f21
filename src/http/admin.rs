//! Read-only admin API (bearer admin token): the queue (and follow-ups owed), a conversation
//! with its transcript, and the daemon's stats.

use super::json::{ConversationJson, QueueJson, StatsJson};
use super::ApiError;
use crate::domain::{AccountId, ConversationId};
use crate::shared::Shared;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use subtle::ConstantTimeEq;

pub(super) fn authorize(s: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &s.admin_token else {
        return Err(ApiError::Unauthorized(
            "the admin API is disabled: set [admin] token or BATON_ADMIN_TOKEN".into(),
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(g) if bool::from(g.as_bytes().ct_eq(token.as_bytes())) => Ok(()),
        _ => Err(ApiError::Unauthorized(
            "a valid bearer admin token is required".into(),
        )),
    }
}

pub async fn queue(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(account): Path<String>,
) -> Result<Json<QueueJson>, ApiError> {
    authorize(&s, &headers)?;
    if !s.accounts.contains(&account) {
        return Err(ApiError::UnknownAccount(account));
    }
    let queue = s.engine.queue(AccountId(account)).await?;
    Ok(Json((&queue).into()))
}

pub async fn conversation(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<ConversationJson>, ApiError> {
    authorize(&s, &headers)?;
    let id: ConversationId = id.parse().map_err(ApiError::BadRequest)?;
    let view = s.engine.conversation(id).await?;
    Ok(Json((&view).into()))
}

pub async fn stats(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<StatsJson>, ApiError> {
    authorize(&s, &headers)?;
    let stats = s.engine.stats().await?;
    Ok(Json((&stats).into()))
}
