//! Admin API for agents and Custom Profiles (bearer admin token).
//!
//! `POST /v1/agents` creates an agent and returns its token once: only a SHA-256 of it is kept.

use super::admin::authorize;
use super::webhook::read_body;
use super::{ApiError, AppState};
use crate::domain::{AccountId, NewAgent};
use crate::engine::ProfileView;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddAgent {
    account: String,
    name: String,
    profile_name: String,
    avatar: String,
    #[serde(default)]
    skills: Vec<String>,
    #[serde(default = "one")]
    capacity: u32,
}

fn one() -> u32 {
    1
}

/// A new agent token: 256 bits from the operating system's generator.
fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Unavailable(format!("no randomness for a token: {e}")))?;
    Ok(format!(
        "bt_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub async fn add(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&s, &headers)?;
    let body = read_body(&headers, body).await?;
    let req: AddAgent = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid agent: {e}")))?;
    if !s.accounts.contains(&req.account) {
        return Err(ApiError::UnknownAccount(req.account));
    }
    let new = NewAgent {
        account: AccountId(req.account),
        name: req.name,
        profile_name: req.profile_name,
        avatar: req.avatar,
        skills: req.skills,
        capacity: req.capacity,
    };
    new.check().map_err(ApiError::Invalid)?;
    let token = new_token()?;
    let agent = s.engine.add_agent(new, token_sha256(&token)).await?;
    tracing::info!(agent = %agent.id, account = %agent.account, "agent added");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "agent": agent, "token": token })),
    ))
}

pub async fn list(State(s): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorize(&s, &headers)?;
    let agents = s.engine.agents().await?;
    Ok(Json(json!({ "agents": agents })))
}

pub async fn profiles(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&s, &headers)?;
    let profiles: Vec<ProfileView> = s.engine.profiles().await?;
    Ok(Json(json!({ "profiles": profiles })))
}
