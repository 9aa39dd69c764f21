//! Timeouts: one table of keys drives the `Timeouts` struct, its overrides, and the reading of
//! every TOML table of timeouts (the rules' `[timeouts]`, a rule's `timeouts = { … }` and the
//! config's `[accounts.<id>.timeouts]`).
//!
//! Adding a timeout is one row in the `timeouts!` table below; everything else, including the
//! key list and the reading of each table, follows from it.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::Rule;

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

const fn mins(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

/// Who a timeout belongs to, which decides where it may be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutScope {
    /// About one conversation: may be set in `[timeouts]`, per account and per rule.
    Conversation,
    /// About an agent, who may hold conversations from many rules: never per rule.
    Agent,
}

/// Generates, from one row per timeout (`name: default, scope, "doc";`), the `Timeouts`
/// struct and its `Default`, `TimeoutOverrides` and `Timeouts::with`, the raw TOML table
/// (`TimeoutsTable`) and `Timeouts::KEYS`, the list every table is read through.
macro_rules! timeouts {
    ($($name:ident: $default:expr, $scope:ident, $doc:literal;)+) => {
        /// How long each wait may last (`[timeouts]`); none is zero.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Timeouts {
            $(#[doc = $doc] pub $name: Duration,)+
        }

        /// Some timeouts replaced, the rest inherited: per rule (`timeouts = { … }`) or per
        /// account (`[accounts.<id>.timeouts]` in the config).
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct TimeoutOverrides {
            $(#[doc = $doc] pub $name: Option<Duration>,)+
        }

        /// A table of timeouts as written: humantime strings, each with its span so a bad one
        /// can be pointed at. Read into overrides by [`TimeoutsTable::overrides`].
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct TimeoutsTable {
            $($name: Option<Spanned<String>>,)+
        }

        impl Default for Timeouts {
            fn default() -> Self {
                Self { $($name: $default,)+ }
            }
        }

        impl Timeouts {
            /// Every timeout, in the order they are documented and listed in errors.
            pub const KEYS: &'static [TimeoutKey] = &[$(TimeoutKey {
                name: stringify!($name),
                doc: $doc,
                scope: TimeoutScope::$scope,
                get: |t| t.$name,
                overridden: |o| o.$name,
                set: |o, d| o.$name = Some(d),
                written: |t| t.$name.as_ref(),
            },)+];

            /// These timeouts with every override that is set put in place.
            pub fn with(&self, o: &TimeoutOverrides) -> Timeouts {
                Timeouts { $($name: o.$name.unwrap_or(self.$name),)+ }
            }
        }
    };
}

timeouts! {
    bot_unresolved: mins(10), Conversation,
        "A conversation open this long with the bot escalates.";
    queue_update: mins(2), Conversation,
        "How often queued customers are told their position.";
    queue_max_wait: mins(30), Conversation,
        "After this long in the queue the bot apologises and offers to take a message.";
    offer: secs(30), Conversation,
        "An agent must accept an offer within this.";
    agent_first_reply: mins(3), Conversation,
        "An agent who has not replied within this is re-queued with higher priority.";
    customer_idle: mins(20), Conversation,
        "A customer silent this long with an agent is handed back to the bot.";
    agent_disconnect_grace: secs(60), Agent,
        "An agent gone this long has their conversations re-queued.";
    ageing: mins(5), Conversation,
        "Each this long in the queue counts as one more priority level, so nobody starves.";
}

/// One timeout of [`Timeouts::KEYS`]: its name as written in TOML, and how to reach its field
/// in each of the structs the table generates.
#[derive(Clone, Copy)]
pub struct TimeoutKey {
    name: &'static str,
    doc: &'static str,
    scope: TimeoutScope,
    get: fn(&Timeouts) -> Duration,
    overridden: fn(&TimeoutOverrides) -> Option<Duration>,
    set: fn(&mut TimeoutOverrides, Duration),
    written: fn(&TimeoutsTable) -> Option<&Spanned<String>>,
}

impl TimeoutKey {
    /// The key as written in a timeouts table.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// What the timeout does, in one sentence.
    pub fn doc(&self) -> &'static str {
        self.doc
    }

    pub fn scope(&self) -> TimeoutScope {
        self.scope
    }

    /// This timeout's value in `t`.
    pub fn get(&self, t: &Timeouts) -> Duration {
        (self.get)(t)
    }

    /// This timeout's override in `o`, if it has one.
    pub fn overridden(&self, o: &TimeoutOverrides) -> Option<Duration> {
        (self.overridden)(o)
    }

    /// Overrides this timeout in `o` with `d`.
    pub fn set(&self, o: &mut TimeoutOverrides, d: Duration) {
        (self.set)(o, d)
    }
}

impl fmt::Debug for TimeoutKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeoutKey({})", self.name)
    }
}

impl Timeouts {
    /// The timeouts for a conversation that `rule` decided (the one that escalated it, say):
    /// these, with that rule's overrides; just these for no rule (or a rule gone on reload).
    pub fn for_rule(&self, rule: Option<&Rule>) -> Timeouts {
        rule.map_or(*self, |r| self.with(&r.timeouts))
    }
}

/// A value refused in a timeouts table. `rule` names the rule whose table it is, if any.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TimeoutError {
    /// A zero timeout would fire at once.
    #[error("{}timeouts.{key} must be longer than zero", owner(.rule))]
    Zero {
        rule: Option<String>,
        key: &'static str,
    },
    #[error("{}timeouts.{key}: invalid duration {text:?}: {reason}", owner(.rule))]
    Invalid {
        rule: Option<String>,
        key: &'static str,
        text: String,
        reason: humantime::DurationError,
    },
    /// An agent's timeout in a rule's table: the agent may hold conversations of many rules.
    #[error("{key} cannot be set per rule; set it in [timeouts]")]
    NotPerRule { key: &'static str },
}

fn owner(rule: &Option<String>) -> String {
    rule.as_ref()
        .map_or_else(String::new, |name| format!("rule {name:?} "))
}

impl TimeoutsTable {
    /// The overrides this table sets; `rule` names the rule whose table it is (None for
    /// `[timeouts]` or an account's). Each refused value is handed to `refuse` with the span
    /// of the value and left unset, so a caller may report every problem or stop at the first.
    pub fn overrides(
        &self,
        rule: Option<&str>,
        mut refuse: impl FnMut(Range<usize>, TimeoutError),
    ) -> TimeoutOverrides {
        let mut out = TimeoutOverrides::default();
        for key in Timeouts::KEYS {
            let Some(value) = (key.written)(self) else {
                continue;
            };
            match read(key, rule, value.get_ref()) {
                Ok(d) => key.set(&mut out, d),
                Err(e) => refuse(value.span(), e),
            }
        }
        out
    }
}

/// The one duration parser of every timeouts table: a positive humantime duration, and only
/// where the key may be set.
fn read(key: &TimeoutKey, rule: Option<&str>, text: &str) -> Result<Duration, TimeoutError> {
    let key_name = key.name;
    if rule.is_some() && key.scope == TimeoutScope::Agent {
        return Err(TimeoutError::NotPerRule { key: key_name });
    }
    let rule = rule.map(str::to_owned);
    match humantime::parse_duration(text) {
        Ok(d) if d.is_zero() => Err(TimeoutError::Zero {
            rule,
            key: key_name,
        }),
        Ok(d) => Ok(d),
        Err(reason) => Err(TimeoutError::Invalid {
            rule,
            key: key_name,
            text: text.to_owned(),
            reason,
        }),
    }
}
