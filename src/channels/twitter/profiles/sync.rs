//! Reconciling with the platform's list of Custom Profiles (`baton profile sync [--prune]`).
//!
//! Adoption matches on the name: the platform lists its own copy of an avatar (its media URL),
//! never the source we gave, so the avatar cannot be compared; Baton's profile-name checks keep
//! names distinct within an account, which makes the name a fair key. An adopted profile is
//! recorded with our avatar, so a later change of avatar still makes a new one.

use super::{Line, ProfileKeeper};
use crate::channels::twitter::api::CustomProfile;
use crate::domain::AccountId;
use crate::engine::ProfileView;
use crate::store::PlatformProfile;
use foldhash::{HashSet, HashSetExt};

/// What a sync found and did, per account with Twitter credentials.
#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    pub accounts: Vec<AccountSync>,
}

#[derive(Debug, Clone)]
pub struct AccountSync {
    pub account: AccountId,
    /// Platform profiles taken as ours: same name as one of ours that had no id yet.
    pub adopted: Vec<Adopted>,
    /// Ours the platform does not list (with prune, forgotten: the keeper makes them again;
    /// an id the rules set is only reported).
    pub missing: Vec<Missing>,
    /// Theirs we know nothing of (with prune, deleted on the platform).
    pub unknown: Vec<CustomProfile>,
    /// Platform ids deleted (prune).
    pub deleted: Vec<String>,
    /// What could not be done, in words.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Adopted {
    pub profile: String,
    pub platform_id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Missing {
    pub profile: String,
    pub platform_id: String,
    /// Whether our record of it was dropped.
    pub forgotten: bool,
}

impl ProfileKeeper {
    /// Compares every account's platform list with ours; `wanted` is the engine's profiles.
    pub async fn sync(&self, wanted: &[ProfileView], prune: bool) -> SyncReport {
        let mut accounts: Vec<&AccountId> = self.lines.keys().collect();
        accounts.sort();
        let mut report = SyncReport::default();
        for account in accounts {
            if let Some(line) = self.lines.get(account) {
                report
                    .accounts
                    .push(self.sync_account(line, account, wanted, prune).await);
            }
        }
        // Whatever was forgotten is made again now rather than at the next poll.
        self.wake.notify_one();
        report
    }

    async fn sync_account(
        &self,
        line: &Line,
        account: &AccountId,
        wanted: &[ProfileView],
        prune: bool,
    ) -> AccountSync {
        let _busy = line.busy.lock().await;
        let mut out = AccountSync {
            account: account.clone(),
            adopted: Vec::new(),
            missing: Vec::new(),
            unknown: Vec::new(),
            deleted: Vec::new(),
            errors: Vec::new(),
        };
        let listed = match line.client.list_custom_profiles().await {
            Ok(l) => l,
            Err(e) => {
                out.errors.push(format!("listing: {e}"));
                return out;
            }
        };
        let listed_ids: HashSet<&str> = listed.iter().map(|p| p.id.as_str()).collect();
        let records: Vec<PlatformProfile> = {
            let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
            kept.values()
                .filter(|r| &r.account == account)
                .cloned()
                .collect()
        };
        let mut known: HashSet<String> = HashSet::new();
        for r in &records {
            known.insert(r.platform_id.clone());
            known.extend(r.retired.iter().map(|o| o.platform_id.clone()));
        }
        for (a, id) in &self.fixed {
            if a == account {
                known.insert(id.clone());
                if !listed_ids.contains(id.as_str()) {
                    out.missing.push(Missing {
                        profile: id.clone(),
                        platform_id: id.clone(),
                        forgotten: false,
                    });
                }
            }
        }
        for r in &records {
            if listed_ids.contains(r.platform_id.as_str()) {
                continue;
            }
            let forgotten = prune && self.forget(account, r, &mut out).await;
            out.missing.push(Missing {
                profile: r.local.clone(),
                platform_id: r.platform_id.clone(),
                forgotten,
            });
        }
        self.adopt(account, wanted, &listed, &mut known, &mut out)
            .await;
        for theirs in listed.into_iter().filter(|p| !known.contains(&p.id)) {
            if prune {
                match line.client.destroy_custom_profile(&theirs.id).await {
                    Ok(()) => out.deleted.push(theirs.id.clone()),
                    Err(e) => out.errors.push(format!("deleting {}: {e}", theirs.id)),
                }
            }
            out.unknown.push(theirs);
        }
        out
    }

    /// Drops our record of a profile the platform no longer has; whether it did.
    async fn forget(
        &self,
        account: &AccountId,
        r: &PlatformProfile,
        out: &mut AccountSync,
    ) -> bool {
        match self.drop_record(account, &r.local).await {
            Ok(()) => {
                self.directory.forget(account, &r.local, &r.platform_id);
                for old in &r.retired {
                    self.directory.forget(account, &r.local, &old.platform_id);
                }
                true
            }
            Err(e) => {
                out.errors.push(format!("forgetting {}: {e}", r.local));
                false
            }
        }
    }

    /// Takes as ours each listed profile named like one of ours that has no id.
    async fn adopt(
        &self,
        account: &AccountId,
        wanted: &[ProfileView],
        listed: &[CustomProfile],
        known: &mut HashSet<String>,
        out: &mut AccountSync,
    ) {
        for view in wanted.iter().filter(|v| &v.account == account) {
            let p = &view.profile;
            if self.is_fixed(account, &p.id) || self.record(account, &p.id).is_some() {
                continue;
            }
            let Some(theirs) = listed
                .iter()
                .find(|l| l.name == p.name && !known.contains(&l.id))
            else {
                continue;
            };
            let record = PlatformProfile {
                account: account.clone(),
                local: p.id.clone(),
                name: p.name.clone(),
                avatar: p.avatar.clone(),
                platform_id: theirs.id.clone(),
                retired: Vec::new(),
            };
            match self.keep(record).await {
                Ok(()) => {
                    self.directory.made(account.clone(), p, theirs.id.clone());
                    known.insert(theirs.id.clone());
                    out.adopted.push(Adopted {
                        profile: p.id.clone(),
                        platform_id: theirs.id.clone(),
                        name: theirs.name.clone(),
                    });
                }
                Err(e) => out.errors.push(format!("adopting {}: {}", theirs.id, e)),
            }
        }
    }
}
