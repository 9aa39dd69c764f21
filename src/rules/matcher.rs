//! The hot path: normalise once, one keyword automaton, one regex set, one payload map.
//!
//! Cost per message depends on the message length and on how many keywords actually occur in
//! it, never on the number of rules: every keyword of every rule lives in a single Aho-Corasick
//! automaton and every pattern in a single `RegexSet`.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::{RegexSet, RegexSetBuilder};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Index of a rule in file order; smaller wins.
pub(crate) type RuleIndex = usize;

/// Compiled regex programs for ~1,000 patterns outgrow the crate's 10 MiB defaults.
const REGEX_SIZE_LIMIT: usize = 256 << 20;
const REGEX_DFA_SIZE_LIMIT: usize = 256 << 20;

/// Case- and accent-insensitive form used on both keywords and messages: NFD, combining marks
/// dropped, lowercase, every run of whitespace one space.
pub(crate) fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
            continue;
        }
        in_space = false;
        // Lowercasing can yield a combining mark again (U+0130 gives "i\u{307}").
        out.extend(c.to_lowercase().filter(|l| !is_combining_mark(*l)));
    }
    out
}

/// Gathers matchers rule by rule (in file order), then builds the automata once.
#[derive(Debug, Default)]
pub(crate) struct MatcherBuilder {
    keywords: Vec<String>,
    keyword_ids: HashMap<String, usize>,
    keyword_rules: Vec<Vec<RuleIndex>>,
    patterns: Vec<String>,
    pattern_rules: Vec<RuleIndex>,
    payloads: HashMap<String, RuleIndex>,
}

/// Which automaton could not be built (they are only too large, never malformed: each input
/// was validated on its own first).
#[derive(Debug)]
pub(crate) enum BuildError {
    Keywords(String),
    Patterns(String),
}

impl MatcherBuilder {
    /// `keyword` must already be normalised and non-empty.
    pub fn keyword(&mut self, keyword: String, rule: RuleIndex) {
        let next = self.keywords.len();
        let id = *self.keyword_ids.entry(keyword.clone()).or_insert(next);
        if id == next {
            self.keywords.push(keyword);
            self.keyword_rules.push(Vec::new());
        }
        let rules = &mut self.keyword_rules[id];
        if rules.last() != Some(&rule) {
            rules.push(rule);
        }
    }

    /// `pattern` must already have passed regex-syntax.
    pub fn pattern(&mut self, pattern: String, rule: RuleIndex) {
        self.patterns.push(pattern);
        self.pattern_rules.push(rule);
    }

    /// Returns the rule that already claimed this payload, if any.
    pub fn payload(&mut self, payload: String, rule: RuleIndex) -> Option<RuleIndex> {
        match self.payloads.get(&payload) {
            Some(&first) => Some(first),
            None => {
                self.payloads.insert(payload, rule);
                None
            }
        }
    }

    pub fn handles_payload(&self, payload: &str) -> bool {
        self.payloads.contains_key(payload)
    }

    pub fn build(self) -> Result<Matcher, BuildError> {
        let keywords = if self.keywords.is_empty() {
            None
        } else {
            let automaton = AhoCorasick::builder()
                // Overlapping search needs standard semantics; it finds "real person" and
                // "person" at once, so a rejected whole-word test on one never hides the other.
                .match_kind(MatchKind::Standard)
                .build(&self.keywords)
                .map_err(|e| BuildError::Keywords(e.to_string()))?;
            Some(automaton)
        };
        let patterns = if self.patterns.is_empty() {
            None
        } else {
            let set = RegexSetBuilder::new(&self.patterns)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
                .build()
                .map_err(|e| BuildError::Patterns(e.to_string()))?;
            Some(set)
        };
        Ok(Matcher {
            keywords,
            keyword_rules: self.keyword_rules,
            patterns,
            pattern_rules: self.pattern_rules,
            payloads: self.payloads,
        })
    }
}

/// All rules' matchers, built once per load and shared read-only.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    keywords: Option<AhoCorasick>,
    /// Per keyword, every rule that lists it, ascending.
    keyword_rules: Vec<Vec<RuleIndex>>,
    patterns: Option<RegexSet>,
    /// Per pattern, its rule; ascending because patterns are added in file order.
    pattern_rules: Vec<RuleIndex>,
    payloads: HashMap<String, RuleIndex>,
}

impl Matcher {
    /// The earliest rule (in file order) that matches; a known payload beats any text match.
    pub fn find(&self, text: &str, payload: Option<&str>) -> Option<RuleIndex> {
        if let Some(&rule) = payload.and_then(|p| self.payloads.get(p)) {
            return Some(rule);
        }
        let best = self.find_keyword(text);
        // No pattern can win if every pattern belongs to a rule after the keyword winner.
        let first_pattern_rule = self.pattern_rules.first().copied();
        match (best, first_pattern_rule) {
            (Some(k), Some(p)) if p < k => Some(self.find_pattern(text).map_or(k, |r| r.min(k))),
            (None, Some(_)) => self.find_pattern(text),
            _ => best,
        }
    }

    fn find_keyword(&self, text: &str) -> Option<RuleIndex> {
        let automaton = self.keywords.as_ref()?;
        let haystack = normalise(text);
        let mut best: Option<RuleIndex> = None;
        for m in automaton.find_overlapping_iter(&haystack) {
            if !is_whole_word(&haystack, m.start(), m.end()) {
                continue;
            }
            // Ascending, so the first rule listed is the earliest one using this keyword.
            let rules = self.keyword_rules.get(m.pattern().as_usize());
            if let Some(&rule) = rules.and_then(|r| r.first()) {
                best = Some(best.map_or(rule, |b| b.min(rule)));
            }
        }
        best
    }

    fn find_pattern(&self, text: &str) -> Option<RuleIndex> {
        let set = self.patterns.as_ref()?;
        // Matches come out in pattern order, which is file order.
        let first = set.matches(text).into_iter().next()?;
        self.pattern_rules.get(first).copied()
    }
}

/// A keyword hit counts only when no letter or digit touches it on either side.
fn is_whole_word(haystack: &str, start: usize, end: usize) -> bool {
    let before = haystack.get(..start).and_then(|s| s.chars().next_back());
    let after = haystack.get(end..).and_then(|s| s.chars().next());
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}
