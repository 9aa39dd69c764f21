//! The platform's limits and an honest bot profile, each refused with `file:line:col`.

use super::check;
use super::errors::{errors, with_bot, Files};

fn bot_named(name: &'static str) -> Files<'static> {
    let profile = format!("profile = {{ name = \"{name}\", avatar = \"https://x.com/b.png\" }}");
    vec![(
        "bot.toml",
        vec![
            "[bot]",
            profile.leak(),
            "greeting = 'Hi'",
            "fallback = 'Sorry?'",
        ],
    )]
}

#[test]
fn a_bot_profile_name_shows_all_it_says() {
    check(
        &[
            (bot_named("Acme Assistant (bot)"), vec![]),
            (bot_named("Acme 🙂"), vec![]),
            // Escaped in TOML: the error points at the value.
            (
                bot_named(r"Acme\u202Ebot"),
                vec![
                    "bot.toml:2:20: bot profile name has a bidirectional control (U+202E) at \
                     character 5; a name must show all it says"
                        .to_owned(),
                ],
            ),
            // Written as it is: the error points at the character itself.
            (
                bot_named("Acme\u{200B}Help\u{2066}"),
                vec![
                    "bot.toml:2:25: bot profile name has an invisible character (U+200B) at \
                     character 5; a name must show all it says"
                        .to_owned(),
                    "bot.toml:2:30: bot profile name has a bidirectional control (U+2066) at \
                     character 10; a name must show all it says"
                        .to_owned(),
                ],
            ),
            (
                bot_named(r"Acme\nbot\u0000"),
                vec![
                    "bot.toml:2:20: bot profile name has a line break (U+000A) at character 5; \
                     a name must show all it says"
                        .to_owned(),
                    "bot.toml:2:20: bot profile name has a control character (U+0000) at \
                     character 9; a name must show all it says"
                        .to_owned(),
                ],
            ),
        ],
        errors,
    );
}

#[test]
fn payloads_and_messages_fit_the_platform() {
    let long_payload = format!("payload = '{}'", "p".repeat(1_001));
    let long_option = format!(
        "quick_replies = [{{ label = 'Go', payload = '{}' }}]",
        "q".repeat(1_001)
    );
    let fits = format!("payload = '{}'", "p".repeat(1_000));
    let long_reply = format!("reply = '{}'", "r".repeat(10_001));
    let limit_reply = format!("reply = '{}'", "r".repeat(10_000));
    let payload_msg = "payload is 1001 characters; the limit is 1000 (it is sent as the quick \
                       reply's metadata)";
    check(
        &[
            (
                with_bot(vec!["[[rule]]", "name = 'a'", &fits, &limit_reply]),
                vec![],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    &long_payload,
                    "close = true",
                ]),
                vec![format!("r.toml:3:11: {payload_msg}")],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "keywords = ['a']",
                    "reply = 'hi'",
                    &long_option,
                ]),
                vec![format!("r.toml:5:44: {payload_msg}")],
            ),
            (
                with_bot(vec![
                    "[[rule]]",
                    "name = 'a'",
                    "keywords = ['a']",
                    &long_reply,
                ]),
                vec!["r.toml:4:9: message is 10001 characters; the limit is 10000".to_owned()],
            ),
        ],
        errors,
    );
}
