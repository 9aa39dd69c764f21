//! Admin API for agents and Custom Profiles (bearer admin token).
//!
//! `POST /v1/agents` creates an agent and returns its token once: only a SHA-256 of it is kept.
//! It refuses, with a JSON body: 422 `invalid` listing every problem with the agent (a profile
//! name must show all it says: no control, bidi or invisible characters); 409 `profile_taken`
//! when the profile would pass for the account's bot or for one of its agents (the engine's
//! registry decides, as only it knows them all).
//!
//! Agents over time, each answered once the change is durable: `POST /v1/agents/{id}/disable`
//! and `/enable` (the agent as `GET /v1/agents` shows it), `DELETE /v1/agents/{id}`, `POST
//! /v1/agents/{id}/token` (a new token, shown this once; the old one stops working) and `PATCH
//! /v1/agents/{id}` (any of name, profile name, avatar, skills, capacity; checked as an added
//! agent is, 422 and 409 alike). An id that is not an agent's, or a removed one's, is 404.

use super::admin::authorize;
use super::json::{AgentAddedJson, AgentStatusJson, AgentsJson, ProfilesJson};
use super::webhook::read_body;
use super::ApiError;
use crate::agents::token;
use crate::domain::{AccountId, AgentId, NewAgent};
use crate::engine::AgentEdit;
use crate::shared::Shared;
use axum::body::Body;
use axum::extract::{Path, State};
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
        return Err(ApiError::Misdirected(req.account));
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

/// `PATCH /v1/agents/{id}`: only the fields given change.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditAgent {
    name: Option<String>,
    profile_name: Option<String>,
    avatar: Option<String>,
    skills: Option<Vec<String>>,
    capacity: Option<u32>,
}

/// `{"removed": "a3"}` after a `DELETE`.
#[derive(serde::Serialize)]
pub struct RemovedJson {
    removed: String,
}

fn agent_id(id: &str) -> Result<AgentId, ApiError> {
    // Not an agent's id at all: nothing by that name, as for an unknown one.
    id.parse().map_err(|_| ApiError::NotFound)
}

pub async fn disable(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<AgentStatusJson>, ApiError> {
    authorize(&s, &headers)?;
    let view = s.engine.disable_agent(agent_id(&id)?).await?;
    tracing::info!(agent = %view.agent.id, "agent disabled");
    Ok(Json((&view).into()))
}

pub async fn enable(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<AgentStatusJson>, ApiError> {
    authorize(&s, &headers)?;
    let view = s.engine.enable_agent(agent_id(&id)?).await?;
    tracing::info!(agent = %view.agent.id, "agent enabled");
    Ok(Json((&view).into()))
}

pub async fn remove(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<RemovedJson>, ApiError> {
    authorize(&s, &headers)?;
    let id = s.engine.remove_agent(agent_id(&id)?).await?;
    tracing::info!(agent = %id, "agent removed");
    Ok(Json(RemovedJson {
        removed: id.to_string(),
    }))
}

pub async fn rotate_token(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<AgentAddedJson>, ApiError> {
    authorize(&s, &headers)?;
    let id = agent_id(&id)?;
    let token = token::new_token()
        .map_err(|e| ApiError::Unavailable(format!("no randomness for a token: {e}")))?;
    let agent = s
        .engine
        .rotate_agent_token(id, token::sha256(&token))
        .await?;
    tracing::info!(agent = %agent.id, "agent token replaced");
    Ok(Json(AgentAddedJson::new(&agent, token)))
}

pub async fn edit(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<AgentStatusJson>, ApiError> {
    authorize(&s, &headers)?;
    let id = agent_id(&id)?;
    let body = read_body(&headers, body).await?;
    let req: EditAgent = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid agent edit: {e}")))?;
    let edit = AgentEdit {
        name: req.name,
        profile_name: req.profile_name,
        avatar: req.avatar,
        skills: req.skills,
        capacity: req.capacity,
    };
    let view = s.engine.edit_agent(id, edit).await?;
    Ok(Json((&view).into()))
}
