//! Every kind of bad rule file, each with the exact `file:line:col: message` it must produce.

use super::{check, sources, BOT};
use crate::rules::compile;

/// Files as (name, lines): line N of a file is `lines[N - 1]`, so positions read off the table.
pub(super) type Files<'a> = Vec<(&'a str, Vec<&'a str>)>;

/// Each error as `file:line:col: message`; empty when the files load.
pub(super) fn errors(files: &Files<'_>) -> Vec<String> {
    let texts: Vec<(&str, String)> = files
        .iter()
        .map(|(name, lines)| (*name, lines.join("\n") + "\n"))
        .collect();
    let texts: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (*n, t.as_str())).collect();
    match compile(&sources(&texts)) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

/// A rule file `r.toml` beside a valid `[bot]`.
pub(super) fn with_bot(rules: Vec<&str>) -> Files<'_> {
    vec![("00-bot.toml", vec![BOT]), ("r.toml", rules)]
}

pub(super) const KNOWN: &str =
    "known: customer.name, customer.id, account.name, bot.name, queue.position, queue.size, \
     queue.wait, hours, agent.name, profile.name";

#[test]
fn bad_toml() {
    let fields = "`name`, `keywords`, `patterns`, `payload`, `reply`, `quick_replies`, \
                  `escalate`, `close`, `timeouts`";
    check(
        &[
            (
                with_bot(vec!["[[rule]]", "name = "]),
                vec![r#"r.toml:2:8: invalid string: expected `"`, `'`"#.to_owned()],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'x'",
                    "close = true",
                    "colour = 'red'",
                ]),
                vec![format!(
                    "r.toml:4:1: unknown field `colour`, expected one of {fields}"
                )],
            ),
            (
                with_bot(vec!["[timeouts]", "queue_update = 5"]),
                vec!["r.toml:2:16: invalid type: integer `5`, expected a string".to_owned()],
            ),
            // A file that does not parse hides no error in the others, and gets no guesses made
            // about it: the payload it might have handled is not reported as missing.
            (
                vec![
                    ("a.toml", vec![BOT]),
                    ("b.toml", vec!["[[rule]"]),
                    (
                        "c.toml",
                        vec![
                            "[[rule]]",
                            "name = ''",
                            "reply = 'hi'",
                            "quick_replies = [{ label = 'Go', payload = 'go' }]",
                        ],
                    ),
                ],
                vec![
                    "b.toml:1:7: invalid table header: expected `.`, `]]`".to_owned(),
                    r#"c.toml:1:1: rule "" has no matcher; add keywords, patterns or payload"#
                        .to_owned(),
                    "c.toml:2:8: rule name is empty".to_owned(),
                ],
            ),
        ],
        errors,
    );
}

#[test]
fn bot_and_timeouts() {
    let e49 = "é".repeat(49);
    let name49 = format!("profile = {{ name = '{e49}', avatar = 'https://' }}");
    let name48 = format!(
        "profile = {{ name = '{}', avatar = 'HTTPS://x.com/b.png' }}",
        &e49[2..]
    );
    let bot = |profile: &'static str| vec!["[bot]", profile, "greeting = 'hi'", "fallback = '?'"];
    check(
        &[
            (
                vec![(
                    "bot.toml",
                    vec![
                        "[bot]",
                        r#"profile = { name = "", avatar = "ftp://example.com/b.png" }"#,
                        r#"greeting = "Hi {customer.nam}!""#,
                        r#"fallback = "Sorry } now""#,
                        "max_fallbacks = 0",
                        r#"queued = "{queue.position""#,
                        r#"stuck = "a\tb {nope}""#,
                    ],
                )],
                vec![
                    "bot.toml:2:20: bot profile name is empty".to_owned(),
                    r#"bot.toml:2:33: avatar must be an http(s) URL, not "ftp://example.com/b.png""#
                        .to_owned(),
                    format!("bot.toml:3:16: unknown template variable `{{customer.nam}}`; {KNOWN}"),
                    "bot.toml:4:19: unmatched `}` in template; write `}}` for a literal brace"
                        .to_owned(),
                    "bot.toml:5:17: max_fallbacks must be at least 1".to_owned(),
                    "bot.toml:6:11: unclosed `{` in template; write `{{` for a literal brace"
                        .to_owned(),
                    // An escape in the string: the column is the value's, not the brace's.
                    format!("bot.toml:7:9: unknown template variable `{{nope}}`; {KNOWN}"),
                ],
            ),
            (
                vec![("bot.toml", bot(name49.leak()))],
                vec![
                    "bot.toml:2:20: bot profile name is 49 characters; the limit is 48".to_owned(),
                    r#"bot.toml:2:82: avatar must be an http(s) URL, not "https://""#.to_owned(),
                ],
            ),
            (vec![("bot.toml", bot(name48.leak()))], vec![]),
            (
                vec![(
                    "r.toml",
                    vec!["[[rule]]", "name = 'a'", "keywords = ['a']", "close = true"],
                )],
                vec!["r.toml:1:1: no rule file defines the [bot] table".to_owned()],
            ),
            (vec![], vec![":0:0: no rule files to load".to_owned()]),
            (
                vec![("a.toml", vec![BOT]), ("b.toml", vec![BOT])],
                vec!["b.toml:1:1: duplicate [bot] table; the first is at a.toml:1:1".to_owned()],
            ),
            // The first [bot] still counts when it has errors of its own.
            (
                vec![
                    (
                        "a.toml",
                        bot("profile = { name = '', avatar = 'https://x.com/a.png' }"),
                    ),
                    ("b.toml", vec![BOT]),
                ],
                vec![
                    "a.toml:2:20: bot profile name is empty".to_owned(),
                    "b.toml:1:1: duplicate [bot] table; the first is at a.toml:1:1".to_owned(),
                ],
            ),
            (
                with_bot(vec![
                    "[timeouts]",
                    "offer = '10 parsecs'",
                    "customer_idle = '0s'",
                ]),
                vec![
                    "r.toml:2:9: timeouts.offer: invalid duration \"10 parsecs\": unknown time \
                     unit \"parsecs\", supported units: ns, us/µs, ms, sec, min, hours, days, \
                     weeks, months, years (and few variations)"
                        .to_owned(),
                    "r.toml:3:17: timeouts.customer_idle must be longer than zero".to_owned(),
                ],
            ),
            (
                vec![
                    ("a.toml", vec![BOT, "[timeouts]", "offer = '10s'"]),
                    ("b.toml", vec!["", "[timeouts]"]),
                ],
                vec![
                    "b.toml:2:1: duplicate [timeouts] table; the first is at a.toml:5:1".to_owned(),
                ],
            ),
        ],
        errors,
    );
}

#[test]
fn bad_rules() {
    let many = format!(
        "quick_replies = [{}]",
        "{ label = 'x', payload = 'p' }, ".repeat(21)
    );
    let no_matcher = r#"r.toml:1:1: rule "a" has no matcher; add keywords, patterns or payload"#;
    let no_action = r#"r.toml:1:1: rule "a" does nothing; add reply, escalate or close = true"#;
    let unknown_var = format!("r.toml:4:13: unknown template variable `{{name}}`; {KNOWN}");
    check(
        &[
            (
                with_bot(vec!["[[rule]]", "name = 'a'", "reply = 'hi'"]),
                vec![no_matcher],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "keywords = ['hi']",
                    "close = false",
                ]),
                vec![no_action],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = ' '",
                    "keywords = ['hi']",
                    "close = true",
                ]),
                vec!["r.toml:2:8: rule name is empty"],
            ),
            (
                vec![
                    (
                        "a.toml",
                        vec![
                            BOT,
                            "[[rule]]",
                            "name = 'x'",
                            "payload = 'p'",
                            "close = true",
                        ],
                    ),
                    (
                        "b.toml",
                        vec!["[[rule]]", "name = 'x'", "keywords = ['b']", "close = true"],
                    ),
                    (
                        "c.toml",
                        vec!["[[rule]]", "name = 'y'", "payload = 'p'", "close = true"],
                    ),
                ],
                vec![
                    r#"b.toml:2:8: duplicate rule name "x"; first defined at a.toml:6:8"#,
                    r#"c.toml:3:11: payload "p" is already handled by rule "x" at a.toml:6:8"#,
                ],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "payload = ''",
                    "close = true",
                ]),
                vec!["r.toml:3:11: payload is empty"],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "payload = 'baton:leave-message'",
                    "reply = 'hi'",
                    "quick_replies = [{ label = 'Wait', payload = 'baton:keep-waiting' }]",
                ]),
                vec![
                    r#"r.toml:3:11: payload "baton:leave-message": payloads starting "baton:" are reserved for Baton's own quick replies"#,
                    r#"r.toml:5:46: payload "baton:keep-waiting": payloads starting "baton:" are reserved for Baton's own quick replies"#,
                ],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    r#"keywords = ["ok", "", " \u0301\t"]"#,
                    "close = true",
                ]),
                vec![
                    "r.toml:3:19: empty keyword",
                    r#"r.toml:3:23: keyword " \u{301}\t" is empty once case, accents and spaces go"#,
                ],
            ),
            // Regex errors point inside the pattern when it is written without escapes.
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "patterns = ['ok', '(?i)where (is']",
                    "close = true",
                ]),
                vec!["r.toml:3:30: invalid regex: unclosed group"],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    r#"patterns = ["\\d{2,1}", 'a\pX', '''ab)''']"#,
                    "close = true",
                ]),
                vec![
                    "r.toml:3:13: invalid regex: invalid repetition count range, \
                     the start must be <= the end",
                    "r.toml:3:27: invalid regex: Unicode property not found",
                    "r.toml:3:38: invalid regex: unopened group",
                ],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "keywords = ['x']",
                    "reply = 'Hi {name}'",
                ]),
                vec![&unknown_var],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "keywords = ['x']",
                    "escalate = { reason = ' ', priority = 10, skills = ['ok', ''] }",
                    "close = true",
                ]),
                vec![
                    r#"r.toml:4:12: rule "a" cannot both escalate and close"#,
                    "r.toml:4:23: escalate reason is empty",
                    "r.toml:4:39: escalate priority must be 0 to 9",
                    "r.toml:4:59: escalate skill is empty",
                ],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "keywords = ['x']",
                    "escalate = { reason = 'r', priority = -1 }",
                ]),
                vec!["r.toml:4:39: escalate priority must be 0 to 9"],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "keywords = ['x']",
                    "close = true",
                    "quick_replies = [{ label = 'a', payload = 'escalate' }]",
                ]),
                vec!["r.toml:5:17: quick_replies need a reply to attach to"],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "payload = 'ok'",
                    "reply = 'hi'",
                    "quick_replies = [",
                    "  { label = '', payload = 'ok' },",
                    "  { label = '1234567890123456789012345678901234567', payload = '' },",
                    "  { label = 'Go', payload = 'nowhere' },",
                    "]",
                ]),
                vec![
                    "r.toml:6:13: quick reply label is empty",
                    "r.toml:7:13: quick reply label is 37 characters; the limit is 36",
                    "r.toml:7:64: quick reply payload is empty",
                    r#"r.toml:8:29: quick reply payload "nowhere" is not handled by any rule; add a rule with payload = "nowhere""#,
                ],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "payload = 'p'",
                    "reply = 'hi'",
                    &many,
                ]),
                vec!["r.toml:5:17: 21 quick replies; the limit is 20"],
            ),
        ],
        errors,
    );
}
