//! `GET /v1/channels` (bearer admin token): whether each channel can send for each account,
//! as its sink last learned from the platform, and how many messages are held.

use super::admin::authorize;
use super::json::{ChannelJson, ChannelsJson};
use super::ApiError;
use crate::channels::twitter::status::{AccountStatus, SendState};
use crate::domain::{AccountId, Channel, Timestamp};
use crate::shared::Shared;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use std::time::{SystemTime, UNIX_EPOCH};

/// Only channels whose sink reports on its sending are listed (today: Twitter, when
/// configured); every account the daemon serves is under it, those without credentials as
/// `not_configured`.
pub async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
) -> Result<Json<ChannelsJson>, ApiError> {
    authorize(&s, &headers)?;
    let mut channels = Vec::new();
    if let Some(status) = &s.twitter_status {
        // The sink reads rate-limit resets against the system clock, so this does too.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut accounts = status.snapshot(Timestamp(now));
        for id in s.accounts.iter() {
            if !accounts.iter().any(|a| a.account.as_str() == id) {
                accounts.push(AccountStatus {
                    account: AccountId(id.clone()),
                    state: SendState::NotConfigured,
                    held: 0,
                });
            }
        }
        accounts.sort_by(|a, b| a.account.cmp(&b.account));
        channels.push(ChannelJson::new(Channel::Twitter, &accounts));
    }
    Ok(Json(ChannelsJson { channels }))
}
