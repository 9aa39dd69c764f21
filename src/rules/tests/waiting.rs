//! `[waiting]`: its defaults, overriding each message, and what it refuses.

use super::errors::{errors, with_bot, KNOWN};
use super::{book, check, BOT};
use crate::rules::{Vars, Waiting};

/// Every message as the customer would read it, labels as written, in field order.
fn said(w: &Waiting) -> Vec<String> {
    let vars = Vars {
        customer_name: Some("Jo"),
        account_name: "Acme",
        bot_name: "Acme Assistant (bot)",
        queue_position: Some(3),
        queue_wait: Some("about 5 minutes"),
        hours: Some("Mon–Fri 09:00–17:30 (Europe/London)"),
        agent_name: Some("Sam"),
        ..Vars::default()
    };
    let templates = [
        &w.update,
        &w.unknown_wait,
        &w.apology,
        &w.after_hours,
        &w.keep_waiting,
        &w.leave_message,
        &w.message_taken,
        &w.handed_back,
        &w.requeued,
        &w.announcement,
        &w.released,
        &w.agent_gone,
        &w.transferred,
    ];
    let mut out: Vec<String> = templates.iter().map(|t| t.render(&vars)).collect();
    out.extend([w.keep_waiting_label.clone(), w.leave_message_label.clone()]);
    out
}

const DEFAULTS: [&str; 15] = [
    "You're number 3 in line. The wait should be about 5 minutes.",
    "You're number 3 in line. A person will be with you as soon as one is free.",
    "Sorry, this is taking longer than we'd like. You can keep waiting, or leave a message and \
     we'll get back to you.",
    "Our team is away right now: we're here Mon–Fri 09:00–17:30 (Europe/London). You can keep \
     waiting, or leave a message and we'll get back to you when we're back.",
    "Thanks for your patience. You're number 3 in line.",
    "Please write your message below and someone from the team will get back to you.",
    "Thanks, we have your message. Someone from Acme will get back to you.",
    "It looks like you've stepped away, so I've closed your chat with Sam. I'm Acme Assistant \
     (bot), the automated assistant; write any time and I'll help, or say \"agent\" to reach a \
     person again.",
    "Sorry, Sam couldn't get to your message. I'm finding you another person; you're number 3 \
     in line.",
    "Hi, I'm Sam, a person on the Acme team. I've read our conversation so far.",
    "You're back with Acme Assistant (bot), the automated assistant. Say \"agent\" any time to \
     reach a person again.",
    "Sorry, the person helping you was disconnected. You are back in line for the next person \
     on the Acme team: number 3.",
    "I'm passing you to a colleague who can help with this. You are number 3 in line.",
    "Keep waiting",
    "Leave a message",
];

const EVERY_KEY: &str = r#"
[waiting]
update = "1 {queue.position} {queue.wait}"
unknown_wait = "2 {queue.position}"
apology = "3 {customer.name}"
after_hours = "4 {hours}"
keep_waiting = "5"
leave_message = "6"
message_taken = "7 {account.name}"
handed_back = "8 {agent.name} {bot.name}"
requeued = "9 {agent.name}"
announcement = "10 {agent.name}"
released = "11 {bot.name}"
agent_gone = "12 {queue.position}"
transferred = "13 {queue.position}"
keep_waiting_label = "Wait 🙂"
leave_message_label = "123456789012345678901234567890123456"
"#;

#[test]
fn messages() {
    let every_key = [
        "1 3 about 5 minutes",
        "2 3",
        "3 Jo",
        "4 Mon–Fri 09:00–17:30 (Europe/London)",
        "5",
        "6",
        "7 Acme",
        "8 Sam Acme Assistant (bot)",
        "9 Sam",
        "10 Sam",
        "11 Acme Assistant (bot)",
        "12 3",
        "13 3",
        "Wait 🙂",
        "123456789012345678901234567890123456",
    ];
    let mut apology_only = DEFAULTS;
    apology_only[2] = "Sorry!";
    check(
        &[
            (vec![("00-bot.toml", BOT)], DEFAULTS),
            // In any one file, not only beside [bot].
            (
                vec![("00-bot.toml", BOT), ("20-w.toml", EVERY_KEY)],
                every_key,
            ),
            (
                vec![
                    ("00-bot.toml", BOT),
                    ("20-w.toml", "[waiting]\napology = 'Sorry!'"),
                ],
                apology_only,
            ),
        ],
        |files| said(&book(files).waiting),
    );
}

#[test]
fn refused() {
    let long = "é".repeat(37);
    let long = format!("keep_waiting_label = '{long}'");
    check(
        &[
            (
                with_bot(vec![
                    "[waiting]",
                    &long,
                    "leave_message_label = ' '",
                    "update = 'In {queue.wait} {queue.length}'",
                    r#"requeued = "Sorry {agent}""#,
                    "after_hours = 'Back at {hours'",
                ]),
                vec![
                    "r.toml:2:22: quick reply label is 37 characters; the limit is 36".to_owned(),
                    "r.toml:3:23: quick reply label is empty".to_owned(),
                    format!("r.toml:4:27: unknown template variable `{{queue.length}}`; {KNOWN}"),
                    format!("r.toml:5:19: unknown template variable `{{agent}}`; {KNOWN}"),
                    "r.toml:6:24: unclosed `{` in template; write `{{` for a literal brace"
                        .to_owned(),
                ],
            ),
            (
                vec![
                    ("a.toml", vec![BOT, "[waiting]", "apology = 'Sorry'"]),
                    ("b.toml", vec!["", "[waiting]"]),
                ],
                vec![
                    "b.toml:2:1: duplicate [waiting] table; the first is at a.toml:5:1".to_owned(),
                ],
            ),
            (
                with_bot(vec!["[waiting]", "apologies = 'Sorry'"]),
                vec![
                    "r.toml:2:1: unknown field `apologies`, expected one of `update`, \
                      `unknown_wait`, `apology`, `after_hours`, `keep_waiting_label`, \
                      `keep_waiting`, `leave_message_label`, `leave_message`, `message_taken`, \
                      `handed_back`, `requeued`, `announcement`, `released`, `agent_gone`, \
                      `transferred`, `agent_attribution`"
                        .to_owned(),
                ],
            ),
        ],
        errors,
    );
}

#[test]
fn attributions_have_defaults_and_may_be_set() {
    let vars = Vars {
        profile_name: Some("Sam, Acme"),
        ..Vars::default()
    };
    let defaults = book(&[("bot.toml", BOT)]);
    assert_eq!(defaults.bot.attribution.render(&vars), "(automated)");
    assert_eq!(
        defaults.waiting.agent_attribution.render(&vars),
        "— Sam, Acme"
    );
    let bot = format!("{BOT}\nattribution = \"[bot]\"");
    let set = book(&[
        ("bot.toml", &bot),
        (
            "w.toml",
            "[waiting]\nagent_attribution = \"from {profile.name}\"",
        ),
    ]);
    assert_eq!(set.bot.attribution.render(&vars), "[bot]");
    assert_eq!(
        set.waiting.agent_attribution.render(&vars),
        "from Sam, Acme"
    );
}
