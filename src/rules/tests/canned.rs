//! `[[canned]]` replies: what loads, in what order, and every problem at its `file:line:col`.

use super::errors::{errors, with_bot, KNOWN};
use super::{book, check, BOT};

#[test]
fn canned_replies_load_in_file_order() {
    let book = book(&[
        ("00-bot.toml", BOT),
        (
            "r.toml",
            "[[canned]]\nname = ' refund-policy '\ntext = 'Refunds take 5 days, {customer.name}.'\n\
             [[canned]]\nname = 'goodbye'\ntext = 'Thanks for writing to {account.name}!'\n",
        ),
    ]);
    let names: Vec<&str> = book.canned.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["refund-policy", "goodbye"]);
    let texts: Vec<&str> = book.canned.iter().map(|c| c.text.source()).collect();
    assert_eq!(
        texts,
        [
            "Refunds take 5 days, {customer.name}.",
            "Thanks for writing to {account.name}!"
        ]
    );
    assert!(super::book(&[("00-bot.toml", BOT)]).canned.is_empty());
}

#[test]
fn canned_reply_errors() {
    let long = format!("name = '{}'", "n".repeat(65));
    check(
        &[
            (
                with_bot(vec!["[[canned]]", "name = ''", "text = 'hi'"]),
                vec!["r.toml:2:8: canned reply name is empty".to_owned()],
            ),
            (
                with_bot(vec!["[[canned]]", &long, "text = 'hi'"]),
                vec!["r.toml:2:8: canned reply name is 65 characters; the limit is 64".to_owned()],
            ),
            (
                with_bot(vec![
                    "[[canned]]",
                    "name = 'bye'",
                    "text = 'Bye'",
                    "[[canned]]",
                    "name = 'bye'",
                    "text = 'Bye now'",
                ]),
                vec![
                    "r.toml:5:8: duplicate canned reply name \"bye\"; first defined at r.toml:2:8"
                        .to_owned(),
                ],
            ),
            (
                with_bot(vec!["[[canned]]", "name = 'x'", "text = '  '"]),
                vec!["r.toml:3:8: canned reply \"x\" has an empty text".to_owned()],
            ),
            (
                with_bot(vec!["[[canned]]", "name = 'x'", "text = 'Hi {nobody}'"]),
                vec![format!(
                    "r.toml:3:12: unknown template variable `{{nobody}}`; {KNOWN}"
                )],
            ),
            (
                with_bot(vec!["[[canned]]", "name = 'x'"]),
                vec!["r.toml:1:1: missing field `text`".to_owned()],
            ),
            (
                with_bot(vec![
                    "[[canned]]",
                    "name = 'x'",
                    "text = 'a'",
                    "tone = 'warm'",
                ]),
                vec!["r.toml:4:1: unknown field `tone`, expected `name` or `text`".to_owned()],
            ),
        ],
        errors,
    );
}

/// An account's agents get its name and its bot's filled in; what only a conversation knows
/// stays a variable, and braces in the filled values stay literal.
#[test]
fn canned_replies_know_their_account() {
    let jo = crate::rules::Vars {
        customer_name: Some("Jo"),
        account_name: "unused",
        ..Default::default()
    };
    check(
        &[
            (
                "Thanks for contacting {account.name}, {customer.name}! ({bot.name})",
                "Thanks for contacting Acme {{Mobile}}, {customer.name}! (Ace {{bot}}) \
                 → Thanks for contacting Acme {Mobile}, Jo! (Ace {bot})",
            ),
            ("{{x}} {agent.name}", "{{x}} {agent.name} → {x} "),
        ],
        |source| {
            let canned = crate::rules::Canned {
                name: "n".into(),
                text: crate::rules::Template::parse(source).unwrap(),
            };
            let filled = canned.for_account("Acme {Mobile}", "Ace {bot}").text;
            let reparsed = crate::rules::Template::parse(filled.source()).unwrap();
            assert_eq!(reparsed, filled, "{source}");
            format!("{} → {}", filled.source(), filled.render(&jo))
        },
    );
}
