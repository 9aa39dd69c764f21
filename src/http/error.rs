//! The one place errors become HTTP status codes, always with a JSON body.

use crate::channels::webhook::WebhookError;
use crate::engine::EngineError;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::{header, StatusCode};
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
    /// An account this daemon does not own (421): with several daemons behind a router the
    /// request reached the wrong one, and nothing was stored.
    #[error("this daemon does not own account '{0}'")]
    Misdirected(String),
    /// A Twitter delivery for a brand user id no account here has (421, nothing stored).
    #[error("this daemon does not own the account of Twitter user id '{0}'")]
    MisdirectedUser(String),
    /// Well-formed but not acceptable; every problem, not just the first.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("{0}")]
    Unavailable(String),
    /// A profile name that would pass for the bot's or another agent's.
    #[error("{0}")]
    ProfileTaken(String),
    /// A reload that did not take (the config or rules do not load, or a change needs a
    /// restart): every problem, also listed one per line in the body's `errors`.
    #[error("{}", .0.join("; "))]
    ReloadFailed(Vec<String>),
    /// What an extractor refused (a path or query that does not decode), or a plain-text
    /// refusal made JSON by `jsonify`; with the status it came with.
    #[error("{message}")]
    Rejected { status: StatusCode, message: String },
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::Misdirected(_) | ApiError::MisdirectedUser(_) => {
                (StatusCode::MISDIRECTED_REQUEST, "misdirected")
            }
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::ProfileTaken(_) => (StatusCode::CONFLICT, "profile_taken"),
            ApiError::ReloadFailed(_) => (StatusCode::UNPROCESSABLE_ENTITY, "reload_failed"),
            ApiError::Rejected { status, .. } => (*status, code_of(*status)),
        }
    }
}

impl ApiError {
    /// The JSON body of the refusal.
    pub(super) fn body(&self) -> serde_json::Value {
        let (_, code) = self.status_and_code();
        let mut body = json!({ "error": code, "message": self.to_string() });
        // A router (or an operator) reads which account went astray without parsing prose.
        match self {
            ApiError::Misdirected(account) => body["account"] = json!(account),
            ApiError::MisdirectedUser(user) => body["for_user_id"] = json!(user),
            ApiError::ReloadFailed(errors) => body["errors"] = json!(errors),
            _ => {}
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        if let ApiError::Unauthorized(why) = &self {
            // Admin token and webhook signatures alike: the reason, never what was sent.
            tracing::info!(%why, "request refused: not authorized");
        }
        (status, Json(self.body())).into_response()
    }
}

/// The `error` code for a status an extractor or axum chose.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UPGRADE_REQUIRED => "upgrade_required",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::MISDIRECTED_REQUEST => "misdirected",
        s if s.is_server_error() => "internal",
        _ => "rejected",
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::Rejected {
            status: r.status(),
            message: r.body_text(),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::Rejected {
            status: r.status(),
            message: r.body_text(),
        }
    }
}

/// Turns a plain-text refusal (what axum's extractors answer on their own, such as a request
/// to the agent socket that is not an upgrade) into the JSON body every other refusal has.
pub async fn jsonify(res: Response) -> Response {
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/plain"));
    let status = res.status();
    if !plain || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    // Refusal texts are one short line; anything longer is cut rather than buffered whole.
    let message = match axum::body::to_bytes(res.into_body(), 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_owned(),
        Err(_) => status.canonical_reason().unwrap_or("refused").to_owned(),
    };
    ApiError::Rejected { status, message }.into_response()
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
            EngineError::UnknownAccount(a) => ApiError::Misdirected(a),
            EngineError::NoSuchConversation => ApiError::NotFound,
            EngineError::Unavailable => ApiError::Unavailable(e.to_string()),
            EngineError::ProfileClash(clash) => ApiError::ProfileTaken(clash.to_string()),
            EngineError::NoSuchAgent(_) => ApiError::NotFound,
            EngineError::Invalid(problems) => ApiError::Invalid(problems),
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
