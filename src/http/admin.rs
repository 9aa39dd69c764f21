//! Read-only admin API (bearer admin token): the queue (and follow-ups owed), a conversation
//! with its transcript, and the daemon's stats; and the one call that changes what runs:
//! reloading the rules (`POST /v1/admin/reload`).

use super::json::{ConversationJson, QueueJson, StatsJson};
use super::ApiError;
use crate::domain::{AccountId, ConversationId};
use crate::reload::ReloadError;
use crate::shared::Shared;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Uri};
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

/// `{"ok":true,"rules":N,"took_ms":…}`: the new rules are in force.
#[derive(serde::Serialize)]
pub struct ReloadJson {
    ok: bool,
    rules: usize,
    took_ms: u64,
}

/// Reads the config file again and puts its rules in force; a 422 `reload_failed` lists every
/// error (`file:line:col: message`), and the old rules stay.
pub async fn reload(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<ReloadJson>, ApiError> {
    authorize(&s, &headers)?;
    match s.reload.run(&s.engine).await {
        Ok(done) => Ok(Json(ReloadJson {
            ok: true,
            rules: done.rules,
            took_ms: u64::try_from(done.took.as_millis()).unwrap_or(u64::MAX),
        })),
        Err(e @ ReloadError::Unavailable) => Err(ApiError::Unavailable(e.to_string())),
        Err(e) => Err(ApiError::ReloadFailed(e.errors())),
    }
}

pub async fn queue(
    State(s): State<Shared>,
    headers: HeaderMap,
    account: Result<Path<String>, PathRejection>,
) -> Result<Json<QueueJson>, ApiError> {
    // The token first: a stranger learns nothing, not even whether the path decodes.
    authorize(&s, &headers)?;
    let Path(account) = account?;
    if !s.accounts.contains(&account) {
        return Err(ApiError::Misdirected(account));
    }
    let queue = s.engine.queue(AccountId(account)).await?;
    Ok(Json((&queue).into()))
}

/// With `?account=` (how a router finds the daemon: conversation ids are per daemon), only a
/// conversation of that account is shown; another's id is 404 as if it did not exist.
pub async fn conversation(
    State(s): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ConversationJson>, ApiError> {
    authorize(&s, &headers)?;
    let Path(id) = id?;
    let id = conversation_id(&id)?;
    let view = s.engine.conversation(id).await?;
    if super::owner::named_account(&uri).is_some_and(|a| view.conversation.account.0 != a) {
        return Err(ApiError::NotFound);
    }
    Ok(Json((&view).into()))
}

/// Only an id as Baton writes it: `c00` or `c+1` would otherwise name `c0` or `c1`, and one
/// conversation must have one name (in logs, links and caches alike).
fn conversation_id(given: &str) -> Result<ConversationId, ApiError> {
    let id: ConversationId = given.parse().map_err(ApiError::BadRequest)?;
    if id.to_string() != given {
        return Err(ApiError::BadRequest(format!(
            "'{given}' is not a conversation id as written by Baton (did you mean '{id}'?)"
        )));
    }
    Ok(id)
}

pub async fn stats(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<StatsJson>, ApiError> {
    authorize(&s, &headers)?;
    let stats = s.engine.stats().await?;
    Ok(Json((&stats).into()))
}

#[cfg(test)]
mod tests {
    use super::conversation_id;
    use crate::domain::ConversationId;

    #[test]
    fn conversation_ids_parse_only_as_written() {
        assert_eq!(conversation_id("c0").ok(), Some(ConversationId(0)));
        assert_eq!(conversation_id("c42").ok(), Some(ConversationId(42)));
        for bad in [
            "c00",
            "c01",
            "c+1",
            "c",
            "42",
            "C1",
            "c1 ",
            "c-1",
            "c99999999999999999999",
        ] {
            assert!(conversation_id(bad).is_err(), "{bad} was accepted");
        }
    }
}
