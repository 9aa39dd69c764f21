//! Table-driven tests of loading, matching and templates, all through one `check` helper.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use super::{compile, load_dir, RuleBook, Template, Timeouts, Vars};

mod canned;
mod errors;
mod limits;
mod timeouts;
mod waiting;

/// Runs `f` on every input and reports every mismatch at once.
fn check<I: Debug, W: Debug, O: Debug + PartialEq<W>>(cases: &[(I, W)], f: impl Fn(&I) -> O) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(input, want)| {
            let got = f(input);
            (got != *want).then(|| format!("{input:?}\n  want {want:?}\n   got {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn sources(files: &[(&str, &str)]) -> Vec<(PathBuf, String)> {
    let owned = |(name, text): &(&str, &str)| (PathBuf::from(name), (*text).to_owned());
    files.iter().map(owned).collect()
}

fn book(files: &[(&str, &str)]) -> RuleBook {
    match compile(&sources(files)) {
        Ok(book) => book,
        Err(e) => panic!("rules should load:\n{e}"),
    }
}

/// A valid `[bot]` for tests about rules.
const BOT: &str = r#"[bot]
profile = { name = "Test (bot)", avatar = "https://example.com/b.png" }
greeting = "Hi {customer.name}!"
fallback = "Sorry?""#;

const RULES_A: &str = r#"
[[rule]]
name = "human"
keywords = ["agent", "real person", "café"]
payload = "escalate"
escalate = { reason = "customer_request" }

[[rule]]
name = "order"
patterns = ['''(?i)\bwhere(['’]s| is) my (order|package)\b''']
reply = "Track it at https://example.com/track."
quick_replies = [{ label = "Talk to a person", payload = "escalate" }]

[[rule]]
name = "person"
keywords = ["person", "agent", "c++", "🙂🙂"]
reply = "A person?"

[[rule]]
name = "digits"
keywords = ["zzz"]
patterns = ['\b\d{5}\b']
reply = "A number."
"#;

const RULES_B: &str = r#"
[[rule]]
name = "refund"
keywords = ["refund", "money back"]
payload = "refund"
reply = "Refunds take a week."

[[rule]]
name = "bye"
keywords = ["bye", "refund"]
patterns = ['(?i)^\s*bye\b']
reply = "Bye!"
close = true
"#;

#[test]
fn matching() {
    let book = book(&[
        ("00-bot.toml", BOT),
        ("10-a.toml", RULES_A),
        ("20-b.toml", RULES_B),
    ]);
    check(
        &[
            // Whole words, any case, any punctuation or emoji around them.
            (("agent", None), Some("human")),
            (("Agent!", None), Some("human")),
            (("AGENT🙂", None), Some("human")),
            (("an agent please", None), Some("human")),
            (("(agent)", None), Some("human")),
            (("agents", None), None),
            (("reagent", None), None),
            (("agent2", None), None),
            // Accents are ignored on both sides, composed or not.
            (("CAFE", None), Some("human")),
            (("cafe", None), Some("human")),
            (("Café au lait", None), Some("human")),
            (("cafe\u{301}", None), Some("human")),
            (("cafés", None), None),
            // Multi-word keywords span any whitespace; overlapping keywords both count.
            (("I want a REAL   person", None), Some("human")),
            (("real\n\tperson", None), Some("human")),
            (("a person", None), Some("person")),
            (("surreal person", None), Some("person")),
            (("personal", None), None),
            (("I write C++ daily", None), Some("person")),
            (("ok 🙂🙂", None), Some("person")),
            // Patterns run on the original text.
            (("where's my order?", None), Some("order")),
            (("WHERE IS MY PACKAGE", None), Some("order")),
            (("where is my orders", None), None),
            (("call 12345", None), Some("digits")),
            (("call 123456", None), None),
            // `\b` in patterns is Unicode-aware, accents and emoji included.
            (("naïve 12345 🙂", None), Some("digits")),
            (("é12345", None), None),
            (("12345é", None), None),
            (("12345🙂", None), Some("digits")),
            (("Where’s my order 🙂", None), Some("order")),
            (("  Bye now", None), Some("bye")),
            // The earliest rule in file order wins, keyword or pattern.
            (("where is my order, agent", None), Some("human")),
            (("where is my order, person", None), Some("order")),
            (("a person 12345", None), Some("person")),
            (("zzz", None), Some("digits")),
            (("refund please", None), Some("refund")),
            (("money  back", None), Some("refund")),
            (("bye", None), Some("bye")),
            (("", None), None),
            (("hello", None), None),
            // A known payload beats any text; an unknown one is ignored.
            (("hello", Some("escalate")), Some("human")),
            (("a person", Some("escalate")), Some("human")),
            (("a person", Some("nope")), Some("person")),
            (("", Some("refund")), Some("refund")),
            (("bye", Some("refund")), Some("refund")),
        ],
        |(text, payload)| book.evaluate(text, *payload).map(|r| r.name.as_str()),
    );
}

#[test]
fn normalisation() {
    check(
        &[
            ("Hello  World", "hello world"),
            ("  Ça\u{a0}\u{2003}va?\n\n", " ca va? "),
            ("ÉCOLE e\u{301}cole", "ecole ecole"),
            ("İSTANBUL", "istanbul"),
            ("Straße", "straße"),
            ("AGENT🙂", "agent🙂"),
            ("", ""),
        ],
        |text| super::matcher::normalise(text),
    );
}

#[test]
fn templates() {
    let jo = Vars {
        customer_name: Some("Jo"),
        customer_id: "u1",
        account_name: "acme",
        bot_name: "Acme Assistant (bot)",
        queue_position: Some(3),
        queue_size: Some(7),
        queue_wait: Some("a few minutes"),
        hours: Some("Mon–Fri 09:00–17:30 (Europe/London)"),
        agent_name: Some("Sam"),
        profile_name: Some("Sam, Acme Mobile"),
    };
    let anon = Vars {
        customer_id: "u2",
        ..Vars::default()
    };
    check(
        &[
            (("Hi {customer.name}!", jo), "Hi Jo!"),
            (("Hi {customer.name}!", anon), "Hi there!"),
            (
                ("{customer.id}/{account.name}/{bot.name}", jo),
                "u1/acme/Acme Assistant (bot)",
            ),
            (("#{queue.position} of {queue.size}", jo), "#3 of 7"),
            (("#{queue.position} of {queue.size}", anon), "# of "),
            (
                ("{agent.name}: {queue.wait}, {hours}.", jo),
                "Sam: a few minutes, Mon–Fri 09:00–17:30 (Europe/London).",
            ),
            (("{agent.name}: {queue.wait}, {hours}.", anon), ": , ."),
            (("— {profile.name}", jo), "— Sam, Acme Mobile"),
            (("— {profile.name}", anon), "— "),
            (
                ("{{literal}} }} {{{customer.name}}}", jo),
                "{literal} } {Jo}",
            ),
            (("{ customer.name }", anon), "there"),
            (("", jo), ""),
        ],
        |(source, vars)| match Template::parse(source) {
            Ok(t) if t.source() == *source => t.render(vars),
            other => format!("{other:?}"),
        },
    );
}

#[test]
fn shipped_rules() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let book = match load_dir(&dir) {
        Ok(book) => book,
        Err(e) => panic!("shipped rules should load:\n{e}"),
    };
    assert_eq!(book.bot.profile.name, "Acme Assistant (bot)");
    assert_eq!(book.bot.max_fallbacks, 2);
    let canned: Vec<&str> = book.canned.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        canned,
        [
            "greeting",
            "checking",
            "refund-timing",
            "verify-account",
            "network-check",
            "goodbye"
        ]
    );
    assert_eq!(book.timeouts, Timeouts::default());
    let frustrated = Timeouts {
        queue_max_wait: std::time::Duration::from_secs(15 * 60),
        ..Timeouts::default()
    };
    let rule = book.rule_named("frustrated");
    assert_eq!(book.timeouts.for_rule(rule), frustrated);
    let vars = Vars {
        queue_position: Some(3),
        ..Vars::default()
    };
    assert!(book.bot.greeting.render(&vars).starts_with("Hi there! "));
    assert!(book.bot.queued.render(&vars).ends_with("number 3 in line."));
    let with_sam = Vars {
        agent_name: Some("Sam"),
        ..vars
    };
    assert!(book
        .waiting
        .requeued
        .render(&with_sam)
        .starts_with("Sorry, Sam couldn't "));
    check(
        &[
            (
                ("Where is my order? It's been a week", None),
                Some("order-status"),
            ),
            (("I was charged twice this month", None), Some("billing")),
            (
                ("This is RIDICULOUS, I want to cancel my contract", None),
                Some("frustrated"),
            ),
            (
                ("I'm thinking of ending my plan over this bill", None),
                Some("frustrated"),
            ),
            (("can I talk to a real person", None), Some("wants-a-human")),
            (("I can't log in", None), Some("password-reset")),
            (("I can’t sign in to the app", None), Some("password-reset")),
            (
                ("Is there an outage in Leeds? No signal since 8am", None),
                Some("network-outage"),
            ),
            (("my 4g is not working", None), Some("network-outage")),
            (("Does my plan work abroad?", None), Some("roaming")),
            (
                ("what time does the store open on sunday", None),
                Some("opening-hours"),
            ),
            (("Thanks, bye!", None), Some("thanks-bye")),
            (
                ("thanks, but where's my parcel?", None),
                Some("order-status"),
            ),
            (("asdf qwerty", None), None),
            (("", Some("refund-info")), Some("refund-info")),
            (("", Some("escalate")), Some("wants-a-human")),
        ],
        |(text, payload)| book.evaluate(text, *payload).map(|r| r.name.as_str()),
    );
    let debug = format!("{book:?}");
    // The rules' and [waiting]'s own texts, about 11 KB, but none of the automata's insides.
    assert!(debug.len() < 16_000 && debug.contains("Matcher { keywords: "));
    let every_payload_handled = book
        .rules()
        .iter()
        .flat_map(|r| &r.quick_replies)
        .all(|q| book.evaluate("", Some(&q.payload)).is_some());
    assert!(every_payload_handled);
}

#[test]
fn load_dir_problems() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let missing = root.join("no-such-dir");
    let no_toml = root.join("src");
    check(
        &[
            (
                missing.clone(),
                vec![format!(
                    "{}:0:0: cannot read rules directory",
                    missing.display()
                )],
            ),
            (
                no_toml.clone(),
                vec![format!(
                    "{}:0:0: no *.toml rule files in directory",
                    no_toml.display()
                )],
            ),
        ],
        |dir| match load_dir(dir) {
            Ok(_) => vec!["loaded".to_owned()],
            // The OS's own words (after the colon) vary; keep what is ours.
            Err(e) => {
                e.0.iter()
                    .map(|e| {
                        let ours = e.message.split(':').next().unwrap_or_default();
                        format!("{}:{}:{}: {ours}", e.file.display(), e.line, e.col)
                    })
                    .collect()
            }
        },
    );
}
