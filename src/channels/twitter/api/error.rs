//! Every refusal of the v1.1 API, classified by what the caller must do about it.

use serde::Deserialize;

/// Why a call did not succeed, as the caller must act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 429, or a refusal with `x-rate-limit-remaining: 0`: nothing more before `until` (epoch
    /// seconds, from `x-rate-limit-reset`, when the platform said).
    #[error("rate limited until {}", until.map_or("an unknown time".into(), |u| format!("{u} (epoch s)")))]
    RateLimited { until: Option<u64> },
    /// 5xx, a timeout or a connection failure: worth trying again.
    #[error("platform unavailable: {0}")]
    Unavailable(String),
    /// 150 or 349: this user cannot be sent a direct message by the account.
    #[error("cannot send a direct message to this user (code {code}): {message}")]
    CannotDm { code: u32, message: String },
    /// Any other refusal of the request itself; sending it again changes nothing.
    #[error("refused with HTTP {status}{}: {message}", code.map_or(String::new(), |c| format!(", code {c}")))]
    Rejected {
        status: u16,
        code: Option<u32>,
        message: String,
    },
    /// 401, or a 403 about the app or the account rather than the request; the platform's code
    /// and message say which (they never hold the credential itself).
    #[error("the account's credentials were refused (HTTP {status}{}): {message}", code.map_or(String::new(), |c| format!(", code {c}")))]
    Credentials {
        status: u16,
        code: Option<u32>,
        message: String,
    },
    /// Accepted (2xx), but the answer was not the documented shape.
    #[error("HTTP {status}, but the answer could not be read: {reason}")]
    Unreadable { status: u16, reason: String },
}

/// What the rate-limit headers of an answer say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    pub remaining: Option<u64>,
    /// Epoch seconds.
    pub reset: Option<u64>,
}

impl RateLimit {
    /// The reset time, when this answer used up the window.
    pub fn exhausted_until(&self) -> Option<u64> {
        (self.remaining == Some(0)).then_some(self.reset).flatten()
    }
}

/// 403 codes about the app or the account (bad or revoked token, suspended or locked account,
/// app not allowed), not about the request: the account cannot act until someone fixes it.
const CREDENTIAL_CODES: [u32; 10] = [32, 64, 87, 89, 99, 135, 215, 220, 261, 326];

/// Classifies a non-2xx answer from its status, rate-limit headers and body.
pub fn classify(status: u16, limit: RateLimit, body: &[u8]) -> ApiError {
    let (code, message) = first_error(body);
    let message = message.unwrap_or_else(|| format!("HTTP {status}"));
    match (status, code) {
        (429, _) | (_, Some(88)) => ApiError::RateLimited { until: limit.reset },
        (_, Some(code @ (150 | 349))) => ApiError::CannotDm { code, message },
        _ if limit.exhausted_until().is_some() => ApiError::RateLimited { until: limit.reset },
        (500..=599, _) => ApiError::Unavailable(format!("HTTP {status}: {message}")),
        (401, _) | (403, None) => ApiError::Credentials {
            status,
            code,
            message,
        },
        (403, Some(c)) if CREDENTIAL_CODES.contains(&c) => ApiError::Credentials {
            status,
            code,
            message,
        },
        _ => ApiError::Rejected {
            status,
            code,
            message,
        },
    }
}

/// The first `{"errors":[{"code":…,"message":…}]}` entry, if the body has one.
fn first_error(body: &[u8]) -> (Option<u32>, Option<String>) {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<PlatformError>,
    }
    #[derive(Deserialize)]
    struct PlatformError {
        code: Option<u32>,
        message: Option<String>,
    }
    match serde_json::from_slice::<Errors>(body) {
        Ok(e) => e
            .errors
            .into_iter()
            .next()
            .map_or((None, None), |e| (e.code, e.message)),
        Err(_) => (None, None),
    }
}
