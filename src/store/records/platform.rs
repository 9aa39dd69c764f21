//! Custom Profiles created on a channel's platform for our profiles (`p` keys): which platform
//! id stands for a local profile id, and for which name and avatar it was made, so a restart
//! adopts them instead of creating again (creation is rationed by the platform).

use super::{PlatformProfile, RetiredProfile};
use crate::domain::AccountId;
use serde::{Deserialize, Serialize};

/// `p` keys, version 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformProfileV2 {
    pub account: String,
    pub profile: String,
    pub name: String,
    pub avatar: String,
    pub platform_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<RetiredV2>,
}

/// An earlier platform id of the same local profile, kept until no unsent turn can use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredV2 {
    pub platform_id: String,
    pub name: String,
    pub avatar: String,
    pub until_turn: u64,
}

impl From<&PlatformProfile> for PlatformProfileV2 {
    fn from(p: &PlatformProfile) -> Self {
        PlatformProfileV2 {
            account: p.account.0.clone(),
            profile: p.local.clone(),
            name: p.name.clone(),
            avatar: p.avatar.clone(),
            platform_id: p.platform_id.clone(),
            retired: p
                .retired
                .iter()
                .map(|r| RetiredV2 {
                    platform_id: r.platform_id.clone(),
                    name: r.name.clone(),
                    avatar: r.avatar.clone(),
                    until_turn: r.until_turn,
                })
                .collect(),
        }
    }
}

impl From<PlatformProfileV2> for PlatformProfile {
    fn from(p: PlatformProfileV2) -> Self {
        PlatformProfile {
            account: AccountId(p.account),
            local: p.profile,
            name: p.name,
            avatar: p.avatar,
            platform_id: p.platform_id,
            retired: p
                .retired
                .into_iter()
                .map(|r| RetiredProfile {
                    platform_id: r.platform_id,
                    name: r.name,
                    avatar: r.avatar,
                    until_turn: r.until_turn,
                })
                .collect(),
        }
    }
}
