//! Rules: the bot's identity, timeouts and rules loaded from `rules/*.toml`, with one matcher.
//!
//! Loading is pure ([`compile`] takes file names and texts) apart from the thin [`load_dir`].
//! Every problem found is reported at once, each as `file:line:col: message`, so `baton check`
//! can show an author everything to fix in one go. Matching cost does not grow with the number
//! of rules: see `matcher`.

mod compile;
mod error;
pub mod limits;
mod matcher;
mod model;
pub mod profile_name;
mod template;
#[cfg(test)]
mod tests;
mod timeouts;

use foldhash::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

pub use error::{RulesError, RulesErrors};
pub use template::{Template, Vars};
pub use timeouts::{
    TimeoutError, TimeoutKey, TimeoutOverrides, TimeoutScope, Timeouts, TimeoutsTable,
};

use matcher::Matcher;

/// Quick-reply payloads Baton answers itself start with this; rules may not use it.
pub const RESERVED_PAYLOAD_PREFIX: &str = "baton:";

/// A loaded, validated rule set: immutable, cheap to share behind an `Arc`, replaced whole on
/// reload.
#[derive(Debug, Clone)]
pub struct RuleBook {
    pub bot: Bot,
    pub timeouts: Timeouts,
    pub waiting: Waiting,
    /// Replies agents can pick (`[[canned]]`), in file order.
    pub canned: Vec<Canned>,
    rules: Vec<Rule>,
    /// Each rule's index in `rules`, by name.
    by_name: HashMap<String, usize>,
    matcher: Matcher,
}

/// What the bot is called and what it says when no rule decides (`[bot]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bot {
    /// The bot's Custom Profile; every bot message is signed with it.
    pub profile: ProfileSpec,
    /// Sent at the start of every episode.
    pub greeting: Template,
    /// Sent when nothing matched.
    pub fallback: Template,
    /// This many misses in a row escalate with reason "bot_stuck"; at least 1.
    pub max_fallbacks: u32,
    /// Told to the customer once queued; may use `{queue.position}`.
    pub queued: Template,
    /// Sent instead of the fallback on the miss that escalates.
    pub stuck: Template,
    /// Appended on a line of its own to every bot message on a channel that cannot show a
    /// Custom Profile (`[channels.webhook] profiles = false`), so nobody takes it for a person.
    pub attribution: Template,
}

/// What customers are told around a handoff (`[waiting]`): while they wait for a person, when
/// one takes over, and when the bot is back. Every message has a default. Each is a template;
/// the variables each can fill are the engine's to give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// Every `queue_update` while queued, when a wait can be estimated (`{queue.wait}`).
    pub update: Template,
    /// Instead of `update` while no wait can be estimated yet.
    pub unknown_wait: Template,
    /// Once `queue_max_wait` has passed in business hours, with the two choices below as quick
    /// replies.
    pub apology: Template,
    /// At once when queued outside business hours (`{hours}`), with the same two choices.
    pub after_hours: Template,
    /// The label of the "keep waiting" quick reply: 1 to 36 characters.
    pub keep_waiting_label: String,
    /// The reply when the customer chooses to keep waiting.
    pub keep_waiting: Template,
    /// The label of the "leave a message" quick reply: 1 to 36 characters.
    pub leave_message_label: String,
    /// The reply when the customer chooses to leave a message: asks them to write it.
    pub leave_message: Template,
    /// After the customer's message has been taken.
    pub message_taken: Template,
    /// When a customer silent for `customer_idle` with an agent (`{agent.name}`) goes back to
    /// the bot.
    pub handed_back: Template,
    /// When an agent (`{agent.name}`) missed `agent_first_reply` and the customer is queued
    /// again, ahead of others.
    pub requeued: Template,
    /// The agent's first words when it takes over, signed with its own profile
    /// (`{agent.name}`: its first name).
    pub announcement: Template,
    /// The bot, when the agent hands the conversation back to it.
    pub released: Template,
    /// When the agent's connection was lost past its grace and the customer is back in line.
    pub agent_gone: Template,
    /// When the agent transferred the conversation to colleagues with a skill.
    pub transferred: Template,
    /// Like `[bot] attribution`, for an agent's messages (`{profile.name}`: the agent's
    /// profile).
    pub agent_attribution: Template,
}

/// A Custom Profile as written in the rules; `id` is set once the platform has created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSpec {
    pub id: Option<String>,
    /// At most 48 characters (Unicode scalar values).
    pub name: String,
    /// An http(s) URL.
    pub avatar: String,
}

/// One `[[rule]]`: what to do when it matches (its matchers live in the shared matcher).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub reply: Option<Template>,
    pub quick_replies: Vec<QuickReply>,
    pub escalate: Option<Escalate>,
    /// Ends the episode after the reply.
    pub close: bool,
    /// What this rule changes of `[timeouts]` (see [`Timeouts::for_rule`]); never a timeout
    /// of an agent's (`TimeoutScope::Agent`), such as `agent_disconnect_grace`.
    pub timeouts: TimeoutOverrides,
}

/// One `[[canned]]` reply: agents pick it by `name` and may edit it before it is sent. Its
/// text is a template with the bot's variables, filled by the agent's client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canned {
    /// 1 to 64 characters, unique in the rule book.
    pub name: String,
    pub text: Template,
}

impl Canned {
    /// This reply as an account's agents get it: `{account.name}` and `{bot.name}` filled in.
    pub fn for_account(&self, account_name: &str, bot_name: &str) -> Canned {
        Canned {
            name: self.name.clone(),
            text: self.text.with_account(account_name, bot_name),
        }
    }
}

/// A button under a reply; tapping it sends `payload` back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickReply {
    /// 1 to 36 characters.
    pub label: String,
    /// Always handled by some rule's `payload`.
    pub payload: String,
}

/// Hand the conversation to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalate {
    pub reason: String,
    /// 0 to 9, higher is more urgent; 0 unless set.
    pub priority: u8,
    /// Agents must have all of these; empty means anyone.
    pub skills: Vec<String>,
}

impl RuleBook {
    /// The rule for a customer message: a known quick-reply payload wins, else the first rule
    /// in file order whose keyword or pattern matches.
    pub fn evaluate(&self, text: &str, payload: Option<&str>) -> Option<&Rule> {
        self.matcher
            .find(text, payload)
            .and_then(|i| self.rules.get(i))
    }

    /// Every rule in file order (files by name, then position).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule called `name`, if there is one.
    pub fn rule_named(&self, name: &str) -> Option<&Rule> {
        self.by_name.get(name).and_then(|&i| self.rules.get(i))
    }
}

/// Builds a rule book from `(file name, file text)` pairs in load order; does no I/O.
pub fn compile(sources: &[(PathBuf, String)]) -> Result<RuleBook, RulesErrors> {
    compile::compile(sources)
}

/// Reads `dir/*.toml` in file-name order and compiles them.
pub fn load_dir(dir: &Path) -> Result<RuleBook, RulesErrors> {
    let io = |path: &Path, what: &str, e: std::io::Error| {
        RulesErrors::from(RulesError::at_path(path, format!("cannot {what}: {e}")))
    };
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io(dir, "read rules directory", e))? {
        let path = entry
            .map_err(|e| io(dir, "read rules directory", e))?
            .path();
        // Editors leave hidden lock and swap files beside the one being edited; a hot reload
        // must not pick those up.
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !hidden && path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        let error = RulesError::at_path(dir, "no *.toml rule files in directory");
        return Err(error.into());
    }
    paths.sort();
    let mut sources = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for path in paths {
        match fs::read_to_string(&path) {
            Ok(text) => sources.push((path, text)),
            Err(e) => errors.push(RulesError::at_path(&path, format!("cannot read file: {e}"))),
        }
    }
    if !errors.is_empty() {
        return Err(RulesErrors(errors));
    }
    compile(&sources)
}
