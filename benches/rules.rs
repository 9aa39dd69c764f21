//! Rule matching benchmark: compile 1,000 generated rules, then time `evaluate` on 10,000 messages.
//!
//! Std only (harness = false) so it runs anywhere with `cargo bench --bench rules`; the figures
//! it prints are the ones the README quotes.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use baton::rules::{compile, RuleBook};

const RULES: usize = 1_000;
/// 200 of the 1,000 rules carry a pattern.
const PATTERN_EVERY: usize = 5;
const FILES: usize = 10;
const MESSAGES: usize = 10_000;
/// Share of messages that carry an accent or an emoji, which take the slower Unicode paths.
const NON_ASCII_PERCENT: usize = 40;
const MIN_MEASURE: Duration = Duration::from_secs(2);

const SYLLABLES: &str = "ka lo mi ne ru ta vo zi pe su dra fen gor hul jix qua wen yor bel cas \
                         tri mon sel dun";
const FILLER: &str = "hello my phone please can you help with the today it is not working since \
                      yesterday I have a question about account why does this keep happening \
                      again and what should do now Hi! ok, so weird. sorry to bother";
const DECOR: &str = "🙂 👍 😡 café naïve Zoë crème brûlée — ¿qué? Straße “quoted”";

/// xorshift64*: deterministic, so every run measures the same rules and messages.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

struct Words {
    syllables: Vec<&'static str>,
    filler: Vec<&'static str>,
    decor: Vec<&'static str>,
}

impl Words {
    fn new() -> Self {
        Self {
            syllables: SYLLABLES.split_whitespace().collect(),
            filler: FILLER.split_whitespace().collect(),
            decor: DECOR.split_whitespace().collect(),
        }
    }

    /// A made-up word such as "gorkaqua", unlikely to occur in the English filler.
    fn invent(&self, rng: &mut Rng) -> String {
        (0..2 + rng.below(2))
            .map(|_| *rng.pick(&self.syllables))
            .collect()
    }
}

/// One generated rule: its TOML and texts that match it.
struct Generated {
    toml: String,
    keywords: Vec<String>,
    samples: Vec<String>,
}

fn rule(rng: &mut Rng, words: &Words, i: usize) -> Generated {
    let keywords: Vec<String> = (0..1 + rng.below(4))
        .map(|_| match rng.chance(20) {
            true => format!("{} {}", words.invent(rng), words.invent(rng)),
            false => words.invent(rng),
        })
        .collect();
    let mut toml = format!("[[rule]]\nname = \"rule-{i}\"\nkeywords = {keywords:?}\n");
    let mut samples = Vec::new();
    if i.is_multiple_of(PATTERN_EVERY) {
        let (a, b) = (words.invent(rng), words.invent(rng));
        let upper = a.to_uppercase();
        let (pattern, sample) = match rng.below(4) {
            0 => (
                format!(r"(?i)\b{a}[- ]?\d{{2,4}}\b"),
                format!("{a}-{}", 10 + rng.below(9000)),
            ),
            1 => (
                format!(r"(?i)\b{a}\s+(is|was)\s+{b}\b"),
                format!("{a} was {b}"),
            ),
            2 => (format!(r"\b{upper}-\d{{6}}\b"), format!("{upper}-123456")),
            _ => (
                format!(r"(?i)^\s*{a}\b.*\b{b}$"),
                format!("{a} something {b}"),
            ),
        };
        toml.push_str(&format!("patterns = ['''{pattern}''']\n"));
        samples.push(sample);
    }
    toml.push_str(match rng.below(3) {
        0 => "reply = \"Thanks {customer.name}, here is what we know.\"\n\n",
        1 => "reply = \"Connecting you.\"\nescalate = { reason = \"generated\", priority = 3 }\n\n",
        _ => "reply = \"Bye!\"\nclose = true\n\n",
    });
    Generated {
        toml,
        keywords,
        samples,
    }
}

fn sources(generated: &[Generated]) -> Vec<(PathBuf, String)> {
    let bot = "[bot]\n\
               profile = { name = \"Bench (bot)\", avatar = \"https://example.com/b.png\" }\n\
               greeting = \"Hi {customer.name}!\"\n\
               fallback = \"Sorry?\"\n";
    let mut files = vec![(PathBuf::from("00-bot.toml"), bot.to_owned())];
    for (n, chunk) in generated.chunks(RULES / FILES).enumerate() {
        let text: String = chunk.iter().map(|g| g.toml.as_str()).collect();
        files.push((PathBuf::from(format!("{:02}-generated.toml", n + 10)), text));
    }
    files
}

/// A message of 20 to 200 characters: filler words, perhaps a keyword (shouted) or a text a
/// pattern matches, perhaps an accent or emoji.
fn message(rng: &mut Rng, words: &Words, generated: &[Generated]) -> String {
    let target = 20 + rng.below(181);
    let g = rng.pick(generated);
    let mut inserts = Vec::new();
    match rng.below(100) {
        0..=34 => inserts.push(rng.pick(&g.keywords).to_uppercase() + "!"),
        35..=49 if !g.samples.is_empty() => inserts.push(rng.pick(&g.samples).clone()),
        _ => {}
    }
    if rng.chance(NON_ASCII_PERCENT) {
        inserts.push((*rng.pick(&words.decor)).to_owned());
    }
    let mut at: Vec<usize> = inserts.iter().map(|_| rng.below(target / 2 + 1)).collect();
    at.sort_unstable();
    let (mut text, mut chars, mut keep) = (String::new(), 0, target);
    let mut next = 0;
    while chars < target || next < inserts.len() {
        let piece = if next < inserts.len() && chars >= at[next] {
            next += 1;
            keep = keep.max(chars + inserts[next - 1].chars().count());
            inserts[next - 1].clone()
        } else {
            (*rng.pick(&words.filler)).to_owned()
        };
        chars += piece.chars().count() + 1;
        text.push_str(&piece);
        text.push(' ');
    }
    text.chars().take(keep).collect()
}

fn ns_per_eval(book: &RuleBook, messages: &[String]) -> f64 {
    let start = Instant::now();
    let mut rounds = 0u32;
    while start.elapsed() < MIN_MEASURE {
        for m in messages {
            black_box(book.evaluate(black_box(m), None));
        }
        rounds += 1;
    }
    start.elapsed().as_nanos() as f64 / (f64::from(rounds) * messages.len() as f64)
}

fn main() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let words = Words::new();
    let generated: Vec<Generated> = (0..RULES).map(|i| rule(&mut rng, &words, i)).collect();
    let files = sources(&generated);
    let keywords: usize = generated.iter().map(|g| g.keywords.len()).sum();

    let start = Instant::now();
    let book = match compile(&files) {
        Ok(book) => book,
        Err(e) => {
            eprintln!("generated rules do not compile:\n{e}");
            std::process::exit(1);
        }
    };
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let patterns = RULES / PATTERN_EVERY;
    println!("compile: {RULES} rules ({keywords} keywords, {patterns} patterns): {ms:.1} ms");

    let messages: Vec<String> = (0..MESSAGES)
        .map(|_| message(&mut rng, &words, &generated))
        .collect();
    let matched = messages
        .iter()
        .filter(|m| book.evaluate(m, None).is_some())
        .count();
    let chars: usize = messages.iter().map(|m| m.chars().count()).sum();
    println!(
        "messages: {MESSAGES}, mean {} chars, matched {:.1}%",
        chars / MESSAGES,
        100.0 * matched as f64 / MESSAGES as f64
    );
    let (ascii, other): (Vec<String>, Vec<String>) =
        messages.iter().cloned().partition(|m| m.is_ascii());
    for (what, set) in [
        ("all", &messages),
        ("ASCII only", &ascii),
        ("non-ASCII", &other),
    ] {
        let ns = ns_per_eval(&book, set);
        println!(
            "evaluate: {ns:.0} ns per message, mean over {} {what}",
            set.len()
        );
    }
}
