//! Admin API for agents and Custom Profiles (bearer admin token).
//!
//! `POST /v1/agents` creates an agent and returns its token once: only a SHA-256 of it is kept.
//! It refuses, with a JSON body: 422 `invalid` listing every problem with the agent (a profile
//! name must show all it says: no control, bidi or invisible characters); 409 `profile_taken`
//! when the profile would pass for the account's bot or for one of its agents (the engine's
//! registry decides, as only it knows them all).

use super::admin::authorize;
use super::json::{AgentAddedJson, AgentsJson, ProfilesJson};
use super::webhook::read_body;
use super::ApiError;
use crate::agents::token;
use crate::domain::{AccountId, NewAgent};
use crate::shared::Shared;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;

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

pub async fn add(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<AgentAddedJson>), ApiError> {
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
    let token = token::new_token()
        .map_err(|e| ApiError::Unavailable(format!("no randomness for a token: {e}")))?;
    let agent = s.engine.add_agent(new, token::sha256(&token)).await?;
    tracing::info!(agent = %agent.id, account = %agent.account, "agent added");
    Ok((
        StatusCode::CREATED,
        Json(AgentAddedJson::new(&agent, token)),
    ))
}

pub async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<AgentsJson>, ApiError> {
    authorize(&s, &headers)?;
    let agents = s.engine.agents().await?;
    Ok(Json(AgentsJson::new(&agents)))
}

pub async fn profiles(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<ProfilesJson>, ApiError> {
    authorize(&s, &headers)?;
    let profiles = s.engine.profiles().await?;
    Ok(Json(ProfilesJson::new(&profiles)))
}
