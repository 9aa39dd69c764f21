//! What the desk needs to know about the account an input concerns.

use super::hours::Hours;
use super::ids::{AccountId, Timestamp};
use super::message::Profile;
use crate::rules::{RuleBook, Timeouts};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    /// Shown to customers, e.g. in templates as `{account.name}`.
    pub name: String,
    pub bot: Profile,
    pub rules: Arc<RuleBook>,
    /// The rules' `[timeouts]` with the account's overrides from the config.
    pub timeouts: Timeouts,
    /// When the account's people work; `None`: always.
    pub hours: Option<Hours>,
}

impl Account {
    /// The timeouts in force for a conversation whose last matched rule is `rule`: the rule's
    /// own, else the account's, else the rules' `[timeouts]`.
    pub fn timeouts_for(&self, rule: Option<&str>) -> Timeouts {
        self.timeouts
            .for_rule(rule.and_then(|name| self.rules.rule_named(name)))
    }

    pub fn is_open(&self, at: Timestamp) -> bool {
        self.hours.as_ref().is_none_or(|h| h.is_open(at))
    }
}
