//! `POST /v1/profiles/sync[?prune=true]` (bearer admin token): reconciles the Custom Profiles
//! Baton keeps on Twitter with the platform's own list, and says what it found and did.

use super::admin::authorize;
use super::ApiError;
use crate::channels::twitter::profiles::{AccountSync, SyncReport};
use crate::shared::Shared;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Serialize;

#[derive(Serialize)]
pub struct SyncJson {
    pub pruned: bool,
    pub accounts: Vec<AccountSyncJson>,
}

#[derive(Serialize)]
pub struct AccountSyncJson {
    pub account: String,
    pub adopted: Vec<AdoptedJson>,
    pub missing: Vec<MissingJson>,
    pub unknown: Vec<UnknownJson>,
    pub deleted: Vec<String>,
    pub errors: Vec<String>,
}

#[derive(Serialize)]
pub struct AdoptedJson {
    pub profile: String,
    pub platform_id: String,
    pub name: String,
}

#[derive(Serialize)]
pub struct MissingJson {
    pub profile: String,
    pub platform_id: String,
    pub forgotten: bool,
}

#[derive(Serialize)]
pub struct UnknownJson {
    pub platform_id: String,
    pub name: String,
}

pub async fn sync(
    State(s): State<Shared>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<SyncJson>, ApiError> {
    authorize(&s, &headers)?;
    let prune = prune(query.as_deref())?;
    let Some(keeper) = &s.profile_keeper else {
        return Err(ApiError::Invalid(vec![
            "no channel keeps Custom Profiles on a platform: [channels.twitter] is not configured"
                .into(),
        ]));
    };
    let wanted = s.engine.profiles().await?;
    let report = keeper.sync(&wanted, prune).await;
    tracing::info!(prune, "Custom Profiles reconciled with Twitter");
    Ok(Json(SyncJson::new(&report, prune)))
}

fn prune(query: Option<&str>) -> Result<bool, ApiError> {
    let mut prune = false;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        // A bare `prune` means true.
        prune = match pair.split_once('=').unwrap_or((pair, "true")) {
            ("prune", "true" | "1") => true,
            ("prune", "false" | "0") => false,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "unknown query '{pair}': only prune=true|false"
                )))
            }
        };
    }
    Ok(prune)
}

impl SyncJson {
    fn new(r: &SyncReport, pruned: bool) -> SyncJson {
        SyncJson {
            pruned,
            accounts: r.accounts.iter().map(AccountSyncJson::new).collect(),
        }
    }
}

impl AccountSyncJson {
    fn new(a: &AccountSync) -> AccountSyncJson {
        AccountSyncJson {
            account: a.account.0.clone(),
            adopted: a
                .adopted
                .iter()
                .map(|x| AdoptedJson {
                    profile: x.profile.clone(),
                    platform_id: x.platform_id.clone(),
                    name: x.name.clone(),
                })
                .collect(),
            missing: a
                .missing
                .iter()
                .map(|m| MissingJson {
                    profile: m.profile.clone(),
                    platform_id: m.platform_id.clone(),
                    forgotten: m.forgotten,
                })
                .collect(),
            unknown: a
                .unknown
                .iter()
                .map(|u| UnknownJson {
                    platform_id: u.id.clone(),
                    name: u.name.clone(),
                })
                .collect(),
            deleted: a.deleted.clone(),
            errors: a.errors.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::prune;

    #[test]
    fn prune_is_read_from_the_query() {
        let cases = [
            (None, Some(false)),
            (Some(""), Some(false)),
            (Some("prune=true"), Some(true)),
            (Some("prune=1"), Some(true)),
            (Some("prune"), Some(true)),
            (Some("prune=false"), Some(false)),
            (Some("prune=yes"), None),
            (Some("force=true"), None),
        ];
        for (query, want) in cases {
            assert_eq!(prune(query).ok(), want, "{query:?}");
        }
    }
}
