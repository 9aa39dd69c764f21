//! Serde mirror of one rule file, kept raw (strings, spans) so compile can point at values.
//!
//! Nothing here is validated beyond what TOML itself checks: types, unknown fields and
//! required keys. Every value that compile may reject is `Spanned`, so the error can name the
//! line and column where the author wrote it.

use serde::Deserialize;
use toml::Spanned;

use super::TimeoutsTable;

/// One `rules/*.toml` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileToml {
    pub bot: Option<Spanned<BotToml>>,
    pub timeouts: Option<Spanned<TimeoutsTable>>,
    pub waiting: Option<Spanned<WaitingToml>>,
    #[serde(default)]
    pub rule: Vec<Spanned<RuleToml>>,
    #[serde(default)]
    pub canned: Vec<Spanned<CannedToml>>,
}

/// One `[[canned]]`: a reply agents pick in their console and may edit before sending.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CannedToml {
    pub name: Spanned<String>,
    pub text: Spanned<String>,
}

/// `[bot]`: who the bot is and what it says when no rule decides.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BotToml {
    pub profile: Spanned<ProfileToml>,
    pub greeting: Spanned<String>,
    pub fallback: Spanned<String>,
    /// Signed so that zero and negatives both get the same range message.
    pub max_fallbacks: Option<Spanned<i64>>,
    pub queued: Option<Spanned<String>>,
    pub stuck: Option<Spanned<String>>,
    pub attribution: Option<Spanned<String>>,
}

/// `[bot].profile`: the bot's Custom Profile.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileToml {
    pub id: Option<Spanned<String>>,
    pub name: Spanned<String>,
    pub avatar: Spanned<String>,
}

/// `[waiting]`: what customers are told around a handoff (waiting for a person, the switch to
/// one and back); each key has a default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WaitingToml {
    pub update: Option<Spanned<String>>,
    pub unknown_wait: Option<Spanned<String>>,
    pub apology: Option<Spanned<String>>,
    pub after_hours: Option<Spanned<String>>,
    pub keep_waiting_label: Option<Spanned<String>>,
    pub keep_waiting: Option<Spanned<String>>,
    pub leave_message_label: Option<Spanned<String>>,
    pub leave_message: Option<Spanned<String>>,
    pub message_taken: Option<Spanned<String>>,
    pub handed_back: Option<Spanned<String>>,
    pub requeued: Option<Spanned<String>>,
    pub announcement: Option<Spanned<String>>,
    pub released: Option<Spanned<String>>,
    pub agent_gone: Option<Spanned<String>>,
    pub transferred: Option<Spanned<String>>,
    pub agent_attribution: Option<Spanned<String>>,
}

/// One `[[rule]]`: matchers (keywords, patterns, payload) and actions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleToml {
    pub name: Spanned<String>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    #[serde(default)]
    pub patterns: Vec<Spanned<String>>,
    pub payload: Option<Spanned<String>>,
    pub reply: Option<Spanned<String>>,
    pub quick_replies: Option<Spanned<Vec<QuickReplyToml>>>,
    pub escalate: Option<Spanned<EscalateToml>>,
    #[serde(default)]
    pub close: bool,
    /// Overrides some of `[timeouts]` for conversations this rule decides.
    pub timeouts: Option<Spanned<TimeoutsTable>>,
}

/// One `{ label, payload }` button under a reply.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuickReplyToml {
    pub label: Spanned<String>,
    pub payload: Spanned<String>,
}

/// `escalate = { reason, priority?, skills? }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EscalateToml {
    pub reason: Spanned<String>,
    /// Signed so that a negative number gets our range message rather than a type error.
    pub priority: Option<Spanned<i64>>,
    #[serde(default)]
    pub skills: Vec<Spanned<String>>,
}
