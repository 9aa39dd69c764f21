//! One `[accounts.<id>]` table: the brand's name, its rules, its business hours, the
//! timeouts it changes and its Twitter/X account.
//!
//! Values that may be refused are kept `Spanned` so the error points at what the author wrote.

use super::twitter::{RawTwitterAccount, Sources, TwitterAccount};
use super::{ConfigError, Found};
use crate::domain::{Hours, HoursError};
use crate::rules::{TimeoutOverrides, TimeoutsTable};
use serde::Deserialize;
use std::ops::Range;
use std::path::PathBuf;
use toml::Spanned;

#[derive(Debug, Clone)]
pub struct AccountConfig {
    pub id: String,
    pub name: String,
    pub rules_dir: PathBuf,
    /// Where the config named `rules_dir` (or the account, when it is the default): a
    /// directory that is missing or holds no rules is reported there.
    pub rules_dir_at: RulesDirAt,
    /// When the account's people work (`[accounts.<id>.hours]`); None when not configured.
    pub hours: Option<Hours>,
    /// Replaces the rules' `[timeouts]` for this account (`[accounts.<id>.timeouts]`).
    pub timeouts: TimeoutOverrides,
    /// The brand's Twitter/X account (`[accounts.<id>.twitter]`), if it has one.
    pub twitter: Option<TwitterAccount>,
}

/// A place in the config file, for errors found after it was parsed (loading the rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesDirAt {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
}

impl std::fmt::Display for RulesDirAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccount {
    name: Spanned<String>,
    rules_dir: Option<Spanned<String>>,
    hours: Option<RawHours>,
    #[serde(default)]
    timeouts: TimeoutsTable,
    twitter: Option<RawTwitterAccount>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHours {
    zone: Spanned<String>,
    days: Spanned<Vec<Spanned<String>>>,
    open: Spanned<String>,
    close: Spanned<String>,
}

/// Points a message at a span of the config text.
pub(super) type At<'a> = &'a dyn Fn(Option<Range<usize>>, String) -> ConfigError;

impl RawAccount {
    /// Checks the table, keeping every problem in `found`; `rules_dir` is already resolved
    /// (the account's own or the default) and comes with where it was named.
    pub(super) fn check(
        &self,
        id: &str,
        (rules_dir, rules_dir_at): (PathBuf, RulesDirAt),
        src: &Sources<'_>,
        at: At<'_>,
        found: &Found,
    ) -> Option<AccountConfig> {
        let name_ok = !self.name.get_ref().trim().is_empty();
        if !name_ok {
            let message = "account name must not be empty".into();
            found.keep::<()>(Err(at(Some(self.name.span()), message)));
        }
        // Each part is checked even when another failed, so all their errors are reported;
        // `Err` below: written but refused (the error is in `found` already).
        let hours = self
            .hours
            .as_ref()
            .map(|h| found.keep(h.check(at)).ok_or(()));
        let timeouts = found.keep(overrides(&self.timeouts, at));
        let twitter = self
            .twitter
            .as_ref()
            .map(|t| found.keep(t.check(src, at)).ok_or(()));
        Some(AccountConfig {
            id: id.to_owned(),
            name: name_ok.then(|| self.name.get_ref().clone())?,
            rules_dir,
            rules_dir_at,
            hours: hours.transpose().ok()?,
            timeouts: timeouts?,
            twitter: twitter.transpose().ok()?,
        })
    }

    /// Where the account's `twitter` table starts, to point at it.
    pub(super) fn twitter_span(&self) -> Option<Range<usize>> {
        self.twitter.as_ref().map(RawTwitterAccount::span)
    }

    pub(super) fn rules_dir(&self) -> Option<&Spanned<String>> {
        self.rules_dir.as_ref()
    }
}

impl RawHours {
    fn check(&self, at: At<'_>) -> Result<Hours, ConfigError> {
        let days: Vec<String> = self
            .days
            .get_ref()
            .iter()
            .map(|d| d.get_ref().clone())
            .collect();
        let (zone, open, close) = (
            self.zone.get_ref(),
            self.open.get_ref(),
            self.close.get_ref(),
        );
        Hours::new(zone, &days, open, close).map_err(|e| {
            let span = match &e {
                HoursError::UnknownZone(_) => self.zone.span(),
                HoursError::BadTime { key: "open", .. } => self.open.span(),
                HoursError::BadTime { .. } | HoursError::CloseNotAfterOpen { .. } => {
                    self.close.span()
                }
                HoursError::UnknownDay(day) => self
                    .days
                    .get_ref()
                    .iter()
                    .find(|d| d.get_ref() == day)
                    .map_or(self.days.span(), |d| d.span()),
                HoursError::NoDays => self.days.span(),
            };
            at(Some(span), format!("hours.{}: {e}", e.key()))
        })
    }
}

/// The account's overrides of the rules' `[timeouts]`; the first refused value stops the load.
fn overrides(table: &TimeoutsTable, at: At<'_>) -> Result<TimeoutOverrides, ConfigError> {
    let mut refused = None;
    let overrides = table.overrides(None, |value, error| {
        refused.get_or_insert((value, error));
    });
    match refused {
        Some((value, error)) => Err(at(Some(value), error.to_string())),
        None => Ok(overrides),
    }
}
