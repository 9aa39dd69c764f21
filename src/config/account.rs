//! One `[accounts.<id>]` table: the brand's name, its rules, its business hours and the
//! timeouts it changes.
//!
//! Values that may be refused are kept `Spanned` so the error points at what the author wrote.

use super::ConfigError;
use crate::domain::{Hours, HoursError};
use crate::rules::TimeoutOverrides;
use serde::Deserialize;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

#[derive(Debug, Clone)]
pub struct AccountConfig {
    pub id: String,
    pub name: String,
    pub rules_dir: PathBuf,
    /// When the account's people work (`[accounts.<id>.hours]`); None when not configured.
    pub hours: Option<Hours>,
    /// Replaces the rules' `[timeouts]` for this account (`[accounts.<id>.timeouts]`).
    pub timeouts: TimeoutOverrides,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccount {
    name: Spanned<String>,
    rules_dir: Option<String>,
    hours: Option<RawHours>,
    #[serde(default)]
    timeouts: RawTimeouts,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHours {
    zone: Spanned<String>,
    days: Spanned<Vec<Spanned<String>>>,
    open: Spanned<String>,
    close: Spanned<String>,
}

/// The keys of the rules' `[timeouts]`, as humantime strings.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTimeouts {
    bot_unresolved: Option<Spanned<String>>,
    queue_update: Option<Spanned<String>>,
    queue_max_wait: Option<Spanned<String>>,
    offer: Option<Spanned<String>>,
    agent_first_reply: Option<Spanned<String>>,
    customer_idle: Option<Spanned<String>>,
    agent_disconnect_grace: Option<Spanned<String>>,
    ageing: Option<Spanned<String>>,
}

/// Points a message at a span of the config text.
pub(super) type At<'a> = &'a dyn Fn(Option<Range<usize>>, String) -> ConfigError;

impl RawAccount {
    /// Checks the table; `rules_dir` is already resolved (the account's own or the default).
    pub(super) fn check(
        &self,
        id: &str,
        rules_dir: PathBuf,
        at: At<'_>,
    ) -> Result<AccountConfig, ConfigError> {
        if self.name.get_ref().trim().is_empty() {
            let message = "account name must not be empty".into();
            return Err(at(Some(self.name.span()), message));
        }
        Ok(AccountConfig {
            id: id.to_owned(),
            name: self.name.get_ref().clone(),
            rules_dir,
            hours: self.hours.as_ref().map(|h| h.check(at)).transpose()?,
            timeouts: self.timeouts.check(at)?,
        })
    }

    pub(super) fn rules_dir(&self) -> Option<&str> {
        self.rules_dir.as_deref()
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

impl RawTimeouts {
    fn check(&self, at: At<'_>) -> Result<TimeoutOverrides, ConfigError> {
        let duration = |key: &str, value: &Option<Spanned<String>>| {
            let Some(value) = value else { return Ok(None) };
            let (span, text) = (Some(value.span()), value.get_ref());
            match humantime::parse_duration(text) {
                Ok(d) if d == Duration::ZERO => {
                    Err(at(span, format!("timeouts.{key} must be longer than zero")))
                }
                Ok(d) => Ok(Some(d)),
                Err(e) => Err(at(
                    span,
                    format!("timeouts.{key}: invalid duration {text:?}: {e}"),
                )),
            }
        };
        Ok(TimeoutOverrides {
            bot_unresolved: duration("bot_unresolved", &self.bot_unresolved)?,
            queue_update: duration("queue_update", &self.queue_update)?,
            queue_max_wait: duration("queue_max_wait", &self.queue_max_wait)?,
            offer: duration("offer", &self.offer)?,
            agent_first_reply: duration("agent_first_reply", &self.agent_first_reply)?,
            customer_idle: duration("customer_idle", &self.customer_idle)?,
            agent_disconnect_grace: duration(
                "agent_disconnect_grace",
                &self.agent_disconnect_grace,
            )?,
            ageing: duration("ageing", &self.ageing)?,
        })
    }
}
