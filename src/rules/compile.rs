//! Turns rule files into a `RuleBook`: checks every value, reports every problem, builds matchers.

mod canned;
mod rule;
mod waiting;

use foldhash::HashMap;
use std::path::PathBuf;

use toml::Spanned;

use super::error::{Diagnostics, RulesError, RulesErrors, Source};
use super::limits::{PROFILE_NAME_MAX, TEXT_MAX};
use super::matcher::{BuildError, MatcherBuilder};
use super::model::{BotToml, FileToml, WaitingToml};
use super::profile_name::{self, NameProblem};
use super::template::Template;
use super::{
    Bot, Canned, ProfileSpec, Rule, RuleBook, TimeoutError, TimeoutOverrides, Timeouts,
    TimeoutsTable, Waiting,
};

const PRIORITY_MAX: i64 = 9;
const DEFAULT_MAX_FALLBACKS: u32 = 2;
const DEFAULT_QUEUED: &str = "Thanks for waiting. A person from our team will be with you soon. \
                              You are number {queue.position} in line.";
const DEFAULT_ATTRIBUTION: &str = "(automated)";
const DEFAULT_STUCK: &str = "Sorry, I'm not getting this right. Let me find a person from our \
                             team to help you.";

pub(crate) fn compile(sources: &[(PathBuf, String)]) -> Result<RuleBook, RulesErrors> {
    let mut c = Compiler::default();
    let mut parsed = Vec::new();
    for (index, (path, text)) in sources.iter().enumerate() {
        let source = Source { index, path, text };
        match toml::from_str::<FileToml>(text) {
            Ok(file) => parsed.push((source, file)),
            Err(e) => {
                // toml explains over several lines ("invalid table header\nduplicate key …").
                let message = e.message().trim().replace('\n', ": ");
                c.diag
                    .push(&source, e.span().map_or(0, |s| s.start), message);
            }
        }
    }
    for (source, file) in &parsed {
        c.file(source, file);
    }
    if let (None, Some((source, _))) = (&c.waiting_at, parsed.first()) {
        // No file has [waiting]: every message is its default.
        c.waiting = c.waiting(source, &WaitingToml::default());
    }
    // Checks that look across files would only add noise about a file that did not parse.
    if parsed.len() == sources.len() {
        c.cross_file_checks(parsed.first().map(|(s, _)| s));
    }
    let Compiler {
        diag,
        builder,
        rules,
        bot,
        timeouts,
        waiting,
        canned,
        ..
    } = c;
    let (bot, waiting) = match (bot, waiting) {
        (Some(bot), Some(waiting)) if diag.is_empty() => (bot, waiting),
        _ => return Err(diag.finish()),
    };
    let matcher = builder.build().map_err(|e| {
        let path = sources.first().map(|(p, _)| p.clone()).unwrap_or_default();
        let message = match e {
            BuildError::Keywords(e) => format!("keywords do not fit in one automaton: {e}"),
            BuildError::Patterns(e) => format!("patterns do not fit in one regex set: {e}"),
        };
        RulesErrors::from(RulesError::at_path(&path, message))
    })?;
    // Names are unique (a duplicate is an error above), so each maps to its one rule.
    let by_name = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.clone(), i))
        .collect();
    Ok(RuleBook {
        bot,
        timeouts: timeouts.map_or_else(Timeouts::default, |(t, _)| t),
        waiting,
        canned,
        rules,
        by_name,
        matcher,
    })
}

#[derive(Default)]
struct Compiler<'a> {
    diag: Diagnostics,
    builder: MatcherBuilder,
    rules: Vec<Rule>,
    /// Where each rule's name was written, by rule index, for "first defined at" messages.
    rule_at: Vec<String>,
    names: HashMap<String, String>,
    /// Where the first `[bot]` is, even if it had errors, so a second one is still a duplicate.
    bot_at: Option<String>,
    bot: Option<Bot>,
    timeouts: Option<(Timeouts, String)>,
    /// Like `bot_at`, for `[waiting]`.
    waiting_at: Option<String>,
    waiting: Option<Waiting>,
    canned: Vec<Canned>,
    /// Where each canned reply's name was written, by name, for "first defined at" messages.
    canned_at: HashMap<String, String>,
    /// Quick-reply payloads, checked once every rule's `payload` is known.
    offered: Vec<(Source<'a>, usize, String)>,
}

impl<'a> Compiler<'a> {
    fn file(&mut self, src: &Source<'a>, file: &FileToml) {
        if let Some(bot) = &file.bot {
            if let Some(first) = &self.bot_at {
                let msg = format!("duplicate [bot] table; the first is at {first}");
                self.diag.push(src, bot.span().start, msg);
            } else {
                self.bot_at = Some(Diagnostics::locate(src, bot.span().start));
                self.bot = self.bot(src, bot.get_ref());
            }
        }
        if let Some(timeouts) = &file.timeouts {
            if let Some((_, first)) = &self.timeouts {
                let msg = format!("duplicate [timeouts] table; the first is at {first}");
                self.diag.push(src, timeouts.span().start, msg);
            } else {
                let set = self.timeouts(src, None, timeouts.get_ref());
                let compiled = Timeouts::default().with(&set);
                self.timeouts = Some((compiled, Diagnostics::locate(src, timeouts.span().start)));
            }
        }
        if let Some(waiting) = &file.waiting {
            self.waiting_table(src, waiting);
        }
        for rule in &file.rule {
            self.rule(src, rule);
        }
        for canned in &file.canned {
            self.canned(src, canned.get_ref());
        }
    }

    fn cross_file_checks(&mut self, first: Option<&Source<'a>>) {
        match first {
            Some(src) if self.bot_at.is_none() => {
                self.diag
                    .push(src, 0, "no rule file defines the [bot] table");
            }
            None => self.diag.push_error(RulesError::at_path(
                &PathBuf::new(),
                "no rule files to load",
            )),
            _ => {}
        }
        for (src, at, payload) in std::mem::take(&mut self.offered) {
            if !self.builder.handles_payload(&payload) {
                let msg = format!(
                    "quick reply payload {payload:?} is not handled by any rule; \
                     add a rule with payload = {payload:?}"
                );
                self.diag.push(&src, at, msg);
            }
        }
    }

    fn bot(&mut self, src: &Source<'_>, bot: &BotToml) -> Option<Bot> {
        let profile = bot.profile.get_ref();
        let name = &profile.name;
        self.profile_name(src, name);
        let avatar = &profile.avatar;
        if !is_http_url(avatar.get_ref()) {
            let msg = format!("avatar must be an http(s) URL, not {:?}", avatar.get_ref());
            self.diag.push(src, avatar.span().start, msg);
        }
        let id = profile.id.as_ref().map(|id| {
            if id.get_ref().trim().is_empty() {
                self.diag.push(src, id.span().start, "profile id is empty");
            }
            id.get_ref().clone()
        });
        let max_fallbacks = match &bot.max_fallbacks {
            None => Some(DEFAULT_MAX_FALLBACKS),
            Some(n) => u32::try_from(*n.get_ref())
                .ok()
                .filter(|&n| n >= 1)
                .or_else(|| {
                    self.diag
                        .push(src, n.span().start, "max_fallbacks must be at least 1");
                    None
                }),
        };
        let greeting = self.template(src, &bot.greeting);
        let fallback = self.template(src, &bot.fallback);
        let queued = self.template_or(src, bot.queued.as_ref(), DEFAULT_QUEUED);
        let stuck = self.template_or(src, bot.stuck.as_ref(), DEFAULT_STUCK);
        let attribution = self.template_or(src, bot.attribution.as_ref(), DEFAULT_ATTRIBUTION);
        Some(Bot {
            profile: ProfileSpec {
                id,
                name: name.get_ref().clone(),
                avatar: avatar.get_ref().clone(),
            },
            greeting: greeting?,
            fallback: fallback?,
            max_fallbacks: max_fallbacks?,
            queued: queued?,
            stuck: stuck?,
            attribution: attribution?,
        })
    }

    /// The durations set in `[timeouts]`, or in the `timeouts` of the rule named `rule`; every
    /// refused value is reported.
    fn timeouts(
        &mut self,
        src: &Source<'_>,
        rule: Option<&str>,
        table: &TimeoutsTable,
    ) -> TimeoutOverrides {
        table.overrides(rule, |value, error| {
            let at = match &error {
                // What is wrong is the key, whatever its value.
                TimeoutError::NotPerRule { key } => src.key_before(value.start, key),
                TimeoutError::Zero { .. } | TimeoutError::Invalid { .. } => value.start,
            };
            self.diag.push(src, at, error.to_string());
        })
    }

    /// The bot's profile name must be shown whole: every problem, hidden characters pointed at
    /// where they are in the file when the value is written without escapes.
    fn profile_name(&mut self, src: &Source<'_>, name: &Spanned<String>) {
        for problem in profile_name::problems(name.get_ref()) {
            let (at, msg) = match problem {
                NameProblem::Empty => (name.span().start, "bot profile name is empty".to_owned()),
                NameProblem::TooLong { length } => (
                    name.span().start,
                    format!(
                        "bot profile name is {length} characters; the limit is {PROFILE_NAME_MAX}"
                    ),
                ),
                NameProblem::Hidden { offset, .. } => (
                    src.offset_in_string(&name.span(), name.get_ref(), offset),
                    format!("bot {problem}"),
                ),
            };
            self.diag.push(src, at, msg);
        }
    }

    /// A message the platform must carry whole; its variables are not counted, as they are
    /// short next to the limit.
    fn template(&mut self, src: &Source<'_>, value: &Spanned<String>) -> Option<Template> {
        let length = value.get_ref().chars().count();
        if length > TEXT_MAX {
            let msg = format!("message is {length} characters; the limit is {TEXT_MAX}");
            self.diag.push(src, value.span().start, msg);
        }
        match Template::parse(value.get_ref()) {
            Ok(template) => Some(template),
            Err(e) => {
                let at = src.offset_in_string(&value.span(), value.get_ref(), e.offset);
                self.diag.push(src, at, e.message);
                None
            }
        }
    }

    fn template_or(
        &mut self,
        src: &Source<'_>,
        value: Option<&Spanned<String>>,
        default: &str,
    ) -> Option<Template> {
        match value {
            Some(value) => self.template(src, value),
            None => Template::parse(default).ok(),
        }
    }
}

/// An avatar the platform can fetch: http or https, with a host and no spaces.
fn is_http_url(url: &str) -> bool {
    let rest = ["https://", "http://"].iter().find_map(|scheme| {
        url.get(..scheme.len())
            .filter(|s| s.eq_ignore_ascii_case(scheme))
            .and_then(|_| url.get(scheme.len()..))
    });
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}
