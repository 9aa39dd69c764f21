//! `[channels.twitter]` (the app: API bases, the Account Activity environment, the consumer
//! key and secret) and `[accounts.<id>.twitter]` (the brand's numeric user id and its access
//! token and secret).
//!
//! Credentials never stand in the file itself: each is `{ env = "NAME" }` or
//! `{ file = "path" }` (relative to the config file; one trailing newline is dropped), read while
//! the config is checked so a missing one is reported where it is named.

use super::account::At;
use super::ConfigError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The platform's defaults: tests point both at a local fake.
pub const API_BASE: &str = "https://api.twitter.com";
pub const UPLOAD_BASE: &str = "https://upload.twitter.com";

/// The Twitter/X app Baton acts through.
#[derive(Clone, PartialEq, Eq)]
pub struct TwitterConfig {
    /// Where `1.1/direct_messages/…`, `1.1/custom_profiles/…` and `1.1/account_activity/…` are.
    pub api_base: String,
    /// Where `1.1/media/upload.json` is.
    pub upload_base: String,
    /// The Account Activity API environment label webhooks are registered under.
    pub environment: String,
    pub consumer_key: String,
    /// Also the key of the CRC challenge and of the deliveries' signatures.
    pub consumer_secret: String,
    /// The app's numeric id (a message event's `source_app_id`): an echo from it is Baton's own
    /// send, even one whose echo arrives before the send returns or after a restart.
    pub app_id: Option<String>,
}

/// One brand account on Twitter/X: the user id deliveries name in `for_user_id`, and the
/// account's own token for acting as it.
#[derive(Clone, PartialEq, Eq)]
pub struct TwitterAccount {
    pub user_id: String,
    pub access_token: String,
    pub access_secret: String,
}

// Secrets stay out of logs and `Debug` output.
impl std::fmt::Debug for TwitterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwitterConfig")
            .field("api_base", &self.api_base)
            .field("upload_base", &self.upload_base)
            .field("environment", &self.environment)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for TwitterAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwitterAccount")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// Where a credential comes from; one written inline is refused with a pointer to these.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawSecret {
    From(RawSource),
    Inline(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
pub(super) enum RawSource {
    Env(String),
    File(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTwitter {
    api_base: Option<Spanned<String>>,
    upload_base: Option<Spanned<String>>,
    environment: Option<String>,
    app_id: Option<Spanned<String>>,
    consumer_key: Spanned<RawSecret>,
    consumer_secret: Spanned<RawSecret>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTwitterAccount {
    user_id: Spanned<String>,
    access_token: Spanned<RawSecret>,
    access_secret: Spanned<RawSecret>,
}

/// What checking a credential may consult: the environment and files.
pub(super) struct Sources<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub read: &'a dyn Fn(&Path) -> Result<String, String>,
    pub base: &'a Path,
}

impl Sources<'_> {
    fn secret(
        &self,
        what: &str,
        s: &Spanned<RawSecret>,
        at: At<'_>,
    ) -> Result<String, ConfigError> {
        let refuse = |message: String| at(Some(s.span()), format!("{what}: {message}"));
        let value =
            match s.get_ref() {
                RawSecret::Inline(_) => return Err(refuse(
                    "write { env = \"NAME\" } or { file = \"path\" }, not the credential itself"
                        .into(),
                )),
                RawSecret::From(RawSource::Env(name)) => (self.env)(name)
                    .ok_or_else(|| refuse(format!("environment variable {name} is not set")))?,
                RawSecret::From(RawSource::File(path)) => {
                    let path: PathBuf = self.base.join(path);
                    let text = (self.read)(&path)
                        .map_err(|e| refuse(format!("cannot read {}: {e}", path.display())))?;
                    text.strip_suffix('\n').unwrap_or(&text).to_owned()
                }
            };
        if value.trim().is_empty() || value.contains(char::is_control) {
            return Err(refuse(
                "is empty or holds control characters (a stray newline?)".into(),
            ));
        }
        Ok(value)
    }
}

fn base_url(v: &Option<Spanned<String>>, default: &str, at: At<'_>) -> Result<String, ConfigError> {
    let Some(v) = v else {
        return Ok(default.to_owned());
    };
    let url = v.get_ref().trim_end_matches('/');
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(at(
            Some(v.span()),
            format!("'{url}' must be an http(s) URL"),
        ));
    }
    Ok(url.to_owned())
}

fn numeric_id(v: &Spanned<String>, at: At<'_>) -> Result<String, ConfigError> {
    let id = v.get_ref();
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(at(
            Some(v.span()),
            format!("app_id '{id}' must be the app's numeric id"),
        ));
    }
    Ok(id.clone())
}

impl RawTwitter {
    pub(super) fn check(
        &self,
        src: &Sources<'_>,
        at: At<'_>,
    ) -> Result<TwitterConfig, ConfigError> {
        Ok(TwitterConfig {
            api_base: base_url(&self.api_base, API_BASE, at)?,
            upload_base: base_url(&self.upload_base, UPLOAD_BASE, at)?,
            environment: self.environment.clone().unwrap_or_else(|| "prod".into()),
            consumer_key: src.secret("consumer_key", &self.consumer_key, at)?,
            consumer_secret: src.secret("consumer_secret", &self.consumer_secret, at)?,
            app_id: self
                .app_id
                .as_ref()
                .map(|id| numeric_id(id, at))
                .transpose()?,
        })
    }
}

impl RawTwitterAccount {
    pub(super) fn check(
        &self,
        src: &Sources<'_>,
        at: At<'_>,
    ) -> Result<TwitterAccount, ConfigError> {
        let id = self.user_id.get_ref();
        if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(at(
                Some(self.user_id.span()),
                format!("twitter.user_id '{id}' must be the account's numeric user id"),
            ));
        }
        Ok(TwitterAccount {
            user_id: id.clone(),
            access_token: src.secret("twitter.access_token", &self.access_token, at)?,
            access_secret: src.secret("twitter.access_secret", &self.access_secret, at)?,
        })
    }

    pub(super) fn span(&self) -> std::ops::Range<usize> {
        self.user_id.span()
    }
}
