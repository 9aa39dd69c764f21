//! The one place errors become HTTP status codes, always with a JSON body.

use crate::channels::webhook::WebhookError;
use crate::engine::EngineError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("unknown account '{0}'")]
    UnknownAccount(String),
    /// Well-formed but not acceptable; every problem, not just the first.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("{0}")]
    Unavailable(String),
    /// A profile name that would pass for the bot's or another agent's.
    #[error("{0}")]
    ProfileTaken(String),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnknownAccount(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_account"),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::ProfileTaken(_) => (StatusCode::CONFLICT, "profile_taken"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = Json(json!({ "error": code, "message": self.to_string() }));
        (status, body).into_response()
    }
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Malformed(m) => ApiError::BadRequest(m),
            WebhookError::MissingSignature | WebhookError::BadSignature => {
                ApiError::Unauthorized(e.to_string())
            }
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::UnknownAccount(a) => ApiError::UnknownAccount(a),
            EngineError::NoSuchConversation => ApiError::NotFound,
            EngineError::Unavailable => ApiError::Unavailable(e.to_string()),
            EngineError::ProfileClash(clash) => ApiError::ProfileTaken(clash.to_string()),
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
