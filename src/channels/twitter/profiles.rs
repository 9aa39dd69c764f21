//! The profile keeper: makes sure every Custom Profile Baton signs with on Twitter exists on the
//! platform, per account, and remembers the platform's ids in the store.
//!
//! The platform rations profile creation (about 1,000 a day), so a profile is made once per
//! name and avatar, never per message, and its id is kept (`p` keys) before it is used: a
//! restart fills the [`ProfileDirectory`] from the store and makes nothing again.
//!
//! Which profiles to keep comes from the engine (`EngineHandle::profiles`: every account's bot
//! and every agent), polled every [`POLL`]. Polling is cheap (one query answered from memory,
//! a few dozen small values) and needs nothing from the engine, whereas a notification would
//! have to be threaded through the agents registry; an added agent waits at most one poll, and
//! its messages are held in order meanwhile (the sink holds a message whose profile has no id).
//! A bot id the rules set is already a platform id: it is never made nor deleted.
//!
//! A changed name or avatar (the bot's, across a restart) makes a new profile and switches the
//! directory to it for new messages; the old id stays in the directory for messages written
//! before, and is deleted on the platform once the channel's outbox watermark has passed every
//! turn written before the switch (the next turn number when the new one was made). That rule
//! needs no scan of the outbox: the watermark is the outbox's own promise that nothing below it
//! is unsent.

use super::api::{ApiError, Client};
use super::outbound::ProfileDirectory;
use crate::domain::{AccountId, Channel, Profile};
use crate::engine::EngineHandle;
use crate::shutdown::Shutdown;
use crate::store::{PlatformProfile, RetiredProfile, Store, StoreError, WriteSet};
use foldhash::{HashMap, HashMapExt, HashSet};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

mod avatar;
mod sync;

pub use avatar::{AvatarError, MAX_AVATAR_BYTES};
pub use sync::{AccountSync, Adopted, Missing, SyncReport};

/// How often the keeper asks the engine which profiles exist.
pub const POLL: Duration = Duration::from_secs(2);
/// The first wait after a failure, doubled each time up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How long a profile being made when shutdown comes may take to finish and be recorded.
const FINISH: Duration = Duration::from_secs(5);
/// How long fetching an avatar may take.
const AVATAR_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(transparent)]
    Avatar(#[from] AvatarError),
    #[error("Twitter: {0}")]
    Api(#[from] ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the store's worker stopped")]
    Stopped,
}

/// One account's client and its keeper's state.
struct Line {
    client: Client,
    /// Held while making or reconciling, so a sync never sees a profile made but not recorded.
    busy: tokio::sync::Mutex<()>,
    /// Per local profile (or retired platform id): when to try again.
    retry: Retries,
}

/// When each failed piece of work may be tried again, and how long the wait after that is.
#[derive(Default)]
struct Retries(Mutex<HashMap<String, (Instant, Duration)>>);

/// Keeps the Custom Profiles of every account with Twitter credentials.
pub struct ProfileKeeper {
    store: Store,
    directory: ProfileDirectory,
    /// Bot profile ids the rules set: already platform ids.
    fixed: HashSet<(AccountId, String)>,
    lines: HashMap<AccountId, Line>,
    /// What the store holds, by account and local profile id.
    kept: Mutex<HashMap<(AccountId, String), PlatformProfile>>,
    avatars: reqwest::Client,
    wake: Notify,
}

impl ProfileKeeper {
    /// A keeper over the records the store holds (`store.platform_profiles`), which it puts in
    /// `directory` at once, as it does the rules' `fixed` bot ids.
    pub fn new(
        store: Store,
        directory: ProfileDirectory,
        fixed: Vec<(AccountId, String)>,
        clients: Vec<(AccountId, Client)>,
        records: Vec<PlatformProfile>,
    ) -> Result<ProfileKeeper, reqwest::Error> {
        for (account, id) in &fixed {
            directory.set(account.clone(), id.clone(), id.clone());
        }
        let mut kept = HashMap::new();
        for r in records {
            for old in &r.retired {
                let old_profile = profile(&r.local, &old.name, &old.avatar);
                directory.made(r.account.clone(), &old_profile, old.platform_id.clone());
            }
            let current = profile(&r.local, &r.name, &r.avatar);
            directory.made(r.account.clone(), &current, r.platform_id.clone());
            kept.insert((r.account.clone(), r.local.clone()), r);
        }
        let lines = clients
            .into_iter()
            .map(|(account, client)| {
                let line = Line {
                    client,
                    busy: tokio::sync::Mutex::new(()),
                    retry: Retries::default(),
                };
                (account, line)
            })
            .collect();
        Ok(ProfileKeeper {
            store,
            directory,
            fixed: fixed.into_iter().collect(),
            lines,
            kept: Mutex::new(kept),
            avatars: reqwest::Client::builder().timeout(AVATAR_TIMEOUT).build()?,
            wake: Notify::new(),
        })
    }

    /// Makes what is missing, then polls; stops on shutdown (dropping its engine handle).
    ///
    /// A profile being made when shutdown comes is finished and recorded (for up to
    /// [`FINISH`]), and no other is started: a pass cut short between making a profile and
    /// recording it would leave one on the platform Baton does not know (`profile sync` would
    /// report it as a stray) and make it again after the restart.
    pub async fn run(self: std::sync::Arc<Self>, engine: EngineHandle, mut shutdown: Shutdown) {
        loop {
            let watch = shutdown.clone();
            let pass = self.pass(&engine, &watch);
            tokio::pin!(pass);
            tokio::select! {
                _ = &mut pass => {}
                _ = shutdown.wait() => {
                    if tokio::time::timeout(FINISH, pass).await.is_err() {
                        tracing::warn!("stopped while making a Custom Profile on Twitter; \
                            `baton profile sync` reports it if the platform made it");
                    }
                    return;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = self.wake.notified() => {}
                _ = shutdown.wait() => return,
            }
        }
    }

    /// One round: every wanted profile made, every retired one past the watermark deleted.
    async fn pass(&self, engine: &EngineHandle, shutdown: &Shutdown) {
        let Ok(wanted) = engine.profiles().await else {
            return;
        };
        for view in wanted {
            if shutdown.is_triggered() {
                return;
            }
            if self.is_fixed(&view.account, &view.profile.id) {
                continue;
            }
            let Some(line) = self.lines.get(&view.account) else {
                continue;
            };
            self.ensure(line, &view.account, &view.profile).await;
        }
        if !shutdown.is_triggered() {
            self.retire().await;
        }
    }

    fn is_fixed(&self, account: &AccountId, local: &str) -> bool {
        self.fixed.contains(&(account.clone(), local.to_owned()))
    }

    fn record(&self, account: &AccountId, local: &str) -> Option<PlatformProfile> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.get(&(account.clone(), local.to_owned())).cloned()
    }

    async fn ensure(&self, line: &Line, account: &AccountId, p: &Profile) {
        let _busy = line.busy.lock().await;
        let old = self.record(account, &p.id);
        if old
            .as_ref()
            .is_some_and(|r| r.name == p.name && r.avatar == p.avatar)
        {
            return;
        }
        if !line.retry.due(&p.id) {
            return;
        }
        match self.make(line, account, p, old).await {
            Ok(id) => {
                line.retry.succeeded(&p.id);
                tracing::info!(account = %account.as_str(), profile = %p.id, platform_id = %id,
                    "Custom Profile made on Twitter");
            }
            Err(e) => {
                let wait = line.retry.failed(&p.id);
                tracing::warn!(account = %account.as_str(), profile = %p.id, error = %e,
                    retry_in_s = wait.as_secs(), "cannot make the Custom Profile on Twitter; its messages are held");
            }
        }
    }

    /// Uploads the avatar, makes the profile, records it (durably) and only then uses it.
    async fn make(
        &self,
        line: &Line,
        account: &AccountId,
        p: &Profile,
        old: Option<PlatformProfile>,
    ) -> Result<String, ProfileError> {
        // Every turn written from now on carries the new name (the rules in force changed at
        // start-up), so the old id is needed only below this turn.
        let until_turn = self.store.next_turn()?;
        let bytes = avatar::load(&self.avatars, &p.avatar).await?;
        let media = line.client.upload_media(&bytes).await?;
        let made = line.client.create_custom_profile(&p.name, &media).await?;
        let mut retired = old.as_ref().map(|r| r.retired.clone()).unwrap_or_default();
        if let Some(old) = old {
            retired.push(RetiredProfile {
                platform_id: old.platform_id,
                name: old.name,
                avatar: old.avatar,
                until_turn,
            });
        }
        let record = PlatformProfile {
            account: account.clone(),
            local: p.id.clone(),
            name: p.name.clone(),
            avatar: p.avatar.clone(),
            platform_id: made.id.clone(),
            retired,
        };
        self.keep(record).await?;
        self.directory.made(account.clone(), p, made.id.clone());
        Ok(made.id)
    }

    /// Writes a record durably, then remembers it.
    async fn keep(&self, record: PlatformProfile) -> Result<(), ProfileError> {
        let mut set = WriteSet::default();
        set.platform_profile(Channel::Twitter, &record);
        self.save(set).await?;
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.insert((record.account.clone(), record.local.clone()), record);
        Ok(())
    }

    /// Forgets a record, in the store and here.
    async fn drop_record(&self, account: &AccountId, local: &str) -> Result<(), ProfileError> {
        let mut set = WriteSet::default();
        set.remove_platform_profile(Channel::Twitter, account, local);
        self.save(set).await?;
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.remove(&(account.clone(), local.to_owned()));
        Ok(())
    }

    async fn save(&self, set: WriteSet) -> Result<(), ProfileError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
            store.write(set)?;
            store.flush().map(drop)
        })
        .await
        .map_err(|_| ProfileError::Stopped)??;
        Ok(())
    }

    /// Deletes retired ids the outbox is past: no unsent message can carry them any more.
    async fn retire(&self) {
        let mark = match self.store.watermark(Channel::Twitter) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the Twitter watermark");
                return;
            }
        };
        let due: Vec<PlatformProfile> = {
            let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
            kept.values()
                .filter(|r| r.retired.iter().any(|o| o.until_turn <= mark))
                .cloned()
                .collect()
        };
        for r in due {
            let Some(line) = self.lines.get(&r.account) else {
                continue;
            };
            let _busy = line.busy.lock().await;
            for old in r.retired.iter().filter(|o| o.until_turn <= mark) {
                if line.retry.due(&old.platform_id) {
                    self.delete_retired(line, &r, &old.platform_id).await;
                }
            }
        }
    }

    async fn delete_retired(&self, line: &Line, r: &PlatformProfile, id: &str) {
        let gone = match line.client.destroy_custom_profile(id).await {
            // Already gone is as good as deleted.
            Ok(()) | Err(ApiError::Rejected { status: 404, .. }) => true,
            Err(e) => {
                let wait = line.retry.failed(id);
                tracing::warn!(account = %r.account.as_str(), platform_id = %id, error = %e,
                    retry_in_s = wait.as_secs(), "cannot delete a replaced Custom Profile");
                false
            }
        };
        if !gone {
            return;
        }
        line.retry.succeeded(id);
        let Some(mut now) = self.record(&r.account, &r.local) else {
            return;
        };
        now.retired.retain(|o| o.platform_id != id);
        match self.keep(now).await {
            Ok(()) => {
                self.directory.forget(&r.account, &r.local, id);
                tracing::info!(account = %r.account.as_str(), platform_id = %id,
                    "replaced Custom Profile deleted on Twitter");
            }
            Err(e) => tracing::warn!(error = %e, "cannot record a deleted Custom Profile"),
        }
    }
}

impl Retries {
    fn due(&self, key: &str) -> bool {
        let retry = self.0.lock().unwrap_or_else(|p| p.into_inner());
        retry.get(key).is_none_or(|(at, _)| *at <= Instant::now())
    }

    /// Sets the next try after a failure; the wait until then.
    fn failed(&self, key: &str) -> Duration {
        let mut retry = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let wait = retry
            .get(key)
            .map_or(FIRST_BACKOFF, |(_, w)| (*w * 2).min(MAX_BACKOFF));
        retry.insert(key.to_owned(), (Instant::now() + wait, wait));
        wait
    }

    fn succeeded(&self, key: &str) {
        let mut retry = self.0.lock().unwrap_or_else(|p| p.into_inner());
        retry.remove(key);
    }
}

fn profile(local: &str, name: &str, avatar: &str) -> Profile {
    Profile {
        id: local.to_owned(),
        name: name.to_owned(),
        avatar: avatar.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_doubling_up_to_the_cap_and_success_clears() {
        let r = Retries::default();
        assert!(r.due("acme-bot"));
        let waits: Vec<u64> = (0..10).map(|_| r.failed("acme-bot").as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert!(!r.due("acme-bot"));
        assert!(r.due("acme-a0"), "per profile");
        tokio::time::advance(MAX_BACKOFF).await;
        assert!(r.due("acme-bot"));
        r.failed("acme-bot");
        r.succeeded("acme-bot");
        assert!(r.due("acme-bot"));
        assert_eq!(r.failed("acme-bot"), FIRST_BACKOFF);
    }
}
