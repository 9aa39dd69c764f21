//! Which platform Custom Profile id signs a message, per account and local profile.

use crate::domain::{AccountId, Profile};
use foldhash::HashMap;
use std::sync::{Arc, RwLock};

/// Which platform Custom Profile id stands for a local profile id, per account.
///
/// Shared (`Arc<RwLock<…>>`): filled at start-up from the rules (a bot profile id set there is
/// already a platform id, good for any name) and from the store (profiles the keeper made on the
/// platform, each for one name and avatar), then by the keeper as it makes more; the sink reads
/// it for every message. A message is signed with the id made for the name and avatar it
/// carries, so one written before a profile changed still goes out as it was written, and one
/// whose name has no platform profile yet is held rather than sent under another name.
#[derive(Clone, Default, Debug)]
pub struct ProfileDirectory {
    ids: Arc<RwLock<HashMap<(AccountId, String), Entry>>>,
}

#[derive(Default, Debug)]
struct Entry {
    /// An id that stands for every name and avatar of the profile.
    any: Option<String>,
    /// Ids made for one name and avatar each, newest last.
    made: Vec<Made>,
}

#[derive(Debug)]
struct Made {
    name: String,
    avatar: String,
    platform: String,
}

impl ProfileDirectory {
    /// The id for any name of the profile, else the newest made.
    pub fn get(&self, account: &AccountId, local: &str) -> Option<String> {
        let ids = self.ids.read().unwrap_or_else(|p| p.into_inner());
        let entry = ids.get(&(account.clone(), local.to_owned()))?;
        entry
            .any
            .clone()
            .or_else(|| entry.made.last().map(|m| m.platform.clone()))
    }

    /// The id to sign a message carrying `profile` with: the one made for its name and avatar,
    /// else one that stands for any.
    pub fn resolve(&self, account: &AccountId, profile: &Profile) -> Option<String> {
        let ids = self.ids.read().unwrap_or_else(|p| p.into_inner());
        let entry = ids.get(&(account.clone(), profile.id.clone()))?;
        entry
            .made
            .iter()
            .find(|m| m.name == profile.name && m.avatar == profile.avatar)
            .map(|m| m.platform.clone())
            .or_else(|| entry.any.clone())
    }

    /// `platform` stands for every name and avatar of the profile.
    pub fn set(&self, account: AccountId, local: String, platform: String) {
        let mut ids = self.ids.write().unwrap_or_else(|p| p.into_inner());
        ids.entry((account, local)).or_default().any = Some(platform);
    }

    /// `platform` was made for the profile under this name and avatar (replacing an earlier id
    /// for the same pair).
    pub fn made(&self, account: AccountId, profile: &Profile, platform: String) {
        let mut ids = self.ids.write().unwrap_or_else(|p| p.into_inner());
        let entry = ids.entry((account, profile.id.clone())).or_default();
        entry
            .made
            .retain(|m| !(m.name == profile.name && m.avatar == profile.avatar));
        entry.made.push(Made {
            name: profile.name.clone(),
            avatar: profile.avatar.clone(),
            platform,
        });
    }

    /// Forgets one made id (deleted on the platform, or found to be gone).
    pub fn forget(&self, account: &AccountId, local: &str, platform: &str) {
        let mut ids = self.ids.write().unwrap_or_else(|p| p.into_inner());
        let key = (account.clone(), local.to_owned());
        if let Some(entry) = ids.get_mut(&key) {
            entry.made.retain(|m| m.platform != platform);
            if entry.any.is_none() && entry.made.is_empty() {
                ids.remove(&key);
            }
        }
    }

    pub fn remove(&self, account: &AccountId, local: &str) -> Option<String> {
        let found = self.get(account, local);
        let mut ids = self.ids.write().unwrap_or_else(|p| p.into_inner());
        ids.remove(&(account.clone(), local.to_owned()));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_maps_per_account() {
        let d = ProfileDirectory::default();
        d.set(AccountId::from("a"), "bot".into(), "100001".into());
        assert_eq!(
            d.get(&AccountId::from("a"), "bot").as_deref(),
            Some("100001")
        );
        assert_eq!(d.get(&AccountId::from("b"), "bot"), None);
        assert_eq!(
            d.remove(&AccountId::from("a"), "bot").as_deref(),
            Some("100001")
        );
        assert_eq!(d.get(&AccountId::from("a"), "bot"), None);
    }

    #[test]
    fn a_message_is_signed_with_the_id_made_for_its_name_and_avatar() {
        let d = ProfileDirectory::default();
        let acme = AccountId::from("acme");
        let profile = |name: &str| Profile {
            id: "acme-bot".into(),
            name: name.into(),
            avatar: "https://example.com/b.png".into(),
        };
        d.made(acme.clone(), &profile("Acme"), "1".into());
        d.made(acme.clone(), &profile("Acme (bot)"), "2".into());
        let cases = [
            ("Acme", Some("1")),
            ("Acme (bot)", Some("2")),
            ("Someone else", None),
        ];
        for (name, want) in cases {
            assert_eq!(d.resolve(&acme, &profile(name)).as_deref(), want, "{name}");
        }
        assert_eq!(d.get(&acme, "acme-bot").as_deref(), Some("2"));
        d.forget(&acme, "acme-bot", "1");
        assert_eq!(d.resolve(&acme, &profile("Acme")), None);
        d.set(acme.clone(), "acme-bot".into(), "9".into());
        assert_eq!(d.resolve(&acme, &profile("Anyone")).as_deref(), Some("9"));
        assert_eq!(
            d.resolve(&acme, &profile("Acme (bot)")).as_deref(),
            Some("2")
        );
    }
}
