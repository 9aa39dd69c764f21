//! The hot path: normalise once, one keyword automaton, one regex set, one payload map.
//!
//! Cost per message depends on the message length and on how many keywords actually occur in
//! it, never on the number of rules: every keyword of every rule lives in a single Aho-Corasick
//! automaton and every pattern in a single `RegexSet`.

use foldhash::HashMap;
use std::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_syntax::ast::{self, Ast};
use regex_syntax::hir;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Index of a rule in file order; smaller wins.
pub(crate) type RuleIndex = usize;

/// Compiled regex programs for ~1,000 patterns outgrow the crate's 10 MiB defaults.
const REGEX_SIZE_LIMIT: usize = 256 << 20;
const REGEX_DFA_SIZE_LIMIT: usize = 256 << 20;

/// Keyword bytes up to which the automaton is built as a full DFA.
const DFA_MAX_KEYWORD_BYTES: usize = 100_000;

/// Case- and accent-insensitive form used on both keywords and messages: NFD, combining marks
/// dropped, lowercase, every run of whitespace one space.
pub(crate) fn normalise(text: &str) -> String {
    let mut out = Normalised {
        text: String::with_capacity(text.len()),
        in_space: false,
    };
    let mut rest = text;
    // Most messages are mostly ASCII, which NFD leaves alone; only non-ASCII runs pay for the
    // decomposition. ASCII characters never combine with a neighbour, so splitting there is exact.
    while !rest.is_empty() {
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let (head, tail) = rest.split_at(ascii);
        head.bytes()
            .for_each(|b| out.push(char::from(b.to_ascii_lowercase())));
        let other = tail
            .bytes()
            .position(|b| b.is_ascii())
            .unwrap_or(tail.len());
        let (head, tail) = tail.split_at(other);
        for c in head.nfd().filter(|c| !is_combining_mark(*c)) {
            // Lowercasing can yield a combining mark again (U+0130 gives "i\u{307}").
            c.to_lowercase()
                .filter(|l| !is_combining_mark(*l))
                .for_each(|l| out.push(l));
        }
        rest = tail;
    }
    out.text
}

struct Normalised {
    text: String,
    in_space: bool,
}

impl Normalised {
    fn push(&mut self, c: char) {
        let space = c.is_whitespace();
        if !space {
            self.text.push(c);
        } else if !self.in_space {
            self.text.push(' ');
        }
        self.in_space = space;
    }
}

/// A pattern that passed regex-syntax, ready for the shared set.
#[derive(Debug)]
pub(crate) struct Pattern {
    source: String,
    /// The pattern with word-boundary assertions emptied, when it has any (see `Matcher`).
    loose: Option<String>,
}

/// Parses a pattern on its own, so a mistake is reported with its position inside the pattern
/// (a byte offset) instead of as a failure of the whole set.
pub(crate) fn parse_pattern(source: &str) -> Result<Pattern, (usize, String)> {
    let ast = ast::parse::Parser::new()
        .parse(source)
        .map_err(|e| (e.span().start.offset, e.kind().to_string()))?;
    hir::translate::Translator::new()
        .translate(source, &ast)
        .map_err(|e| (e.span().start.offset, e.kind().to_string()))?;
    let spans = ast::visit(&ast, WordBoundaries(Vec::new())).unwrap_or_default();
    let loose = (!spans.is_empty()).then(|| {
        let mut loose = source.to_owned();
        // From the end, so earlier spans stay valid; an empty group keeps `\b*` well formed.
        for span in spans.iter().rev() {
            loose.replace_range(span.start.offset..span.end.offset, "(?:)");
        }
        loose
    });
    Ok(Pattern {
        source: source.to_owned(),
        loose,
    })
}

/// Collects the spans of every word-boundary assertion in a pattern, in order.
struct WordBoundaries(Vec<ast::Span>);

impl ast::Visitor for WordBoundaries {
    type Output = Vec<ast::Span>;
    type Err = std::convert::Infallible;

    fn finish(self) -> Result<Self::Output, Self::Err> {
        Ok(self.0)
    }

    fn visit_pre(&mut self, node: &Ast) -> Result<(), Self::Err> {
        use ast::AssertionKind::{EndLine, EndText, StartLine, StartText};
        if let Ast::Assertion(a) = node {
            if !matches!(a.kind, StartLine | EndLine | StartText | EndText) {
                self.0.push(a.span);
            }
        }
        Ok(())
    }
}

/// Gathers matchers rule by rule (in file order), then builds the automata once.
#[derive(Debug, Default)]
pub(crate) struct MatcherBuilder {
    keywords: Vec<String>,
    keyword_ids: HashMap<String, usize>,
    keyword_rules: Vec<Vec<RuleIndex>>,
    patterns: Vec<Pattern>,
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

    pub fn pattern(&mut self, pattern: Pattern, rule: RuleIndex) {
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
        // A full DFA is about a third faster than the crate's default NFA here, at a few MiB
        // for thousands of keywords; far past that, leave the memory trade-off to the crate.
        let dfa = self.keywords.iter().map(String::len).sum::<usize>() <= DFA_MAX_KEYWORD_BYTES;
        let keywords = if self.keywords.is_empty() {
            None
        } else {
            let automaton = AhoCorasick::builder()
                // Overlapping search needs standard semantics; it finds "real person" and
                // "person" at once, so a rejected whole-word test on one never hides the other.
                .match_kind(MatchKind::Standard)
                .kind(dfa.then_some(AhoCorasickKind::DFA))
                .build(&self.keywords)
                .map_err(|e| BuildError::Keywords(e.to_string()))?;
            Some(automaton)
        };
        let set = RegexSetBuilder::new(
            self.patterns
                .iter()
                .map(|p| p.loose.as_ref().unwrap_or(&p.source)),
        )
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .build()
        .map_err(|e| BuildError::Patterns(e.to_string()))?;
        let verifiers = self
            .patterns
            .iter()
            .map(|p| {
                p.loose
                    .as_ref()
                    .map(|_| single_regex(&p.source))
                    .transpose()
            })
            .collect::<Result<_, _>>()
            .map_err(|e| BuildError::Patterns(e.to_string()))?;
        Ok(Matcher {
            keywords,
            keyword_rules: self.keyword_rules,
            patterns: set,
            verifiers,
            pattern_rules: self.pattern_rules,
            payloads: self.payloads,
        })
    }
}

fn single_regex(source: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(source)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .build()
}

/// All rules' matchers, built once per load and shared read-only.
#[derive(Clone)]
pub(crate) struct Matcher {
    keywords: Option<AhoCorasick>,
    /// Per keyword, every rule that lists it, ascending.
    keyword_rules: Vec<Vec<RuleIndex>>,
    /// Every pattern, with word boundaries emptied where it had any.
    ///
    /// The regex crate's fast engines handle Unicode `\b` only on ASCII text and fall back to
    /// a far slower one (hundreds of microseconds for a few hundred patterns) as soon as a
    /// message holds an accent or an emoji. Emptying `\b` only ever adds matches, so this set
    /// finds candidates quickly and `verifiers` confirm them with the pattern as written.
    patterns: RegexSet,
    /// Per pattern: the original pattern, when the set holds a loosened copy.
    verifiers: Vec<Option<Regex>>,
    /// Per pattern, its rule; ascending because patterns are added in file order.
    pattern_rules: Vec<RuleIndex>,
    payloads: HashMap<String, RuleIndex>,
}

/// A summary: the automata's own Debug output runs to megabytes.
impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("keywords", &self.keyword_rules.len())
            .field("patterns", &self.pattern_rules.len())
            .field("payloads", &self.payloads.len())
            .finish()
    }
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
        // Most messages match no pattern; finding that out does not allocate, `matches` does.
        if !self.patterns.is_match(text) {
            return None;
        }
        // Matches come out in pattern order, which is file order.
        let first =
            self.patterns
                .matches(text)
                .into_iter()
                .find(|&i| match self.verifiers.get(i) {
                    Some(Some(verifier)) => verifier.is_match(text),
                    _ => true,
                })?;
        self.pattern_rules.get(first).copied()
    }
}

/// A keyword hit counts only when no letter or digit touches it on either side.
fn is_whole_word(haystack: &str, start: usize, end: usize) -> bool {
    let before = haystack.get(..start).and_then(|s| s.chars().next_back());
    let after = haystack.get(end..).and_then(|s| s.chars().next());
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}
