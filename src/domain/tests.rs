//! Table-driven tests of the state machine: each scenario is a list of customer messages with
//! the state after each and exactly what the bot said.

use super::*;
use crate::rules::{self, RuleBook};
use std::path::PathBuf;
use std::sync::Arc;

const RULES: &str = r#"
[bot]
profile = { id = "bot-1", name = "Acme Assistant (bot)", avatar = "https://example.com/bot.png" }
greeting = "Hi {customer.name}!"
fallback = "Sorry?"
max_fallbacks = 2
queued = "You are number {queue.position} of {queue.size}."
stuck = "Let me find you a person."

[[rule]]
name = "human"
keywords = ["agent"]
payload = "escalate"
reply = "Connecting you."
escalate = { reason = "customer_request" }

[[rule]]
name = "vip"
keywords = ["unacceptable"]
escalate = { reason = "frustrated", priority = 5, skills = ["retention"] }

[[rule]]
name = "order"
keywords = ["order"]
reply = "Track it at https://example.com/track."
quick_replies = [{ label = "Talk to a person", payload = "escalate" }]

[[rule]]
name = "bye"
keywords = ["bye"]
reply = "Bye!"
close = true
"#;

fn account() -> Account {
    let book: RuleBook = rules::compile(&[(PathBuf::from("t.toml"), RULES.to_owned())])
        .unwrap_or_else(|e| panic!("{e}"));
    Account {
        id: AccountId::from("acme"),
        name: "Acme".into(),
        bot: Profile {
            id: "bot-1".into(),
            name: "Acme Assistant (bot)".into(),
            avatar: "https://example.com/bot.png".into(),
        },
        timeouts: book.timeouts,
        hours: None,
        rules: Arc::new(book),
    }
}

/// One customer message: (customer, text, payload).
type Msg = (&'static str, &'static str, Option<&'static str>);

fn input((customer, text, payload): Msg) -> Input {
    Input::CustomerMessage {
        channel: Channel::Webhook,
        customer: CustomerId::from(customer),
        name: Some("Jo".into()),
        text: text.into(),
        payload: payload.map(str::to_owned),
    }
}

/// Runs the steps in order on one desk; after each, the customer's conversation must be in
/// `state` and the bot must have said exactly `said`.
fn check(desk: &mut Desk, steps: &[(Msg, &str, &[&str])]) {
    let account = account();
    for (i, (msg, state, said)) in steps.iter().enumerate() {
        let now = Timestamp(1_000 + i as u64);
        let effects = desk.handle(input(*msg), now, &account);
        let texts: Vec<&str> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Send { message, .. } => Some(message.text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(&texts, said, "step {i} {msg:?}: what the bot said");
        // The inbound message is recorded first, the final snapshot saved last (then only
        // moves of its deadline).
        assert!(matches!(effects.first(), Some(Effect::Record(m)) if m.from == Author::Customer));
        let last = effects
            .iter()
            .rev()
            .find(|e| !matches!(e, Effect::Schedule { .. }));
        let Some(Effect::Save(conv)) = last else {
            panic!("step {i}: last effect must be Save: {effects:?}");
        };
        assert_eq!(conv.state.name(), *state, "step {i} {msg:?}: state");
        assert_eq!(conv.updated_at, now);
        for e in &effects {
            if let Effect::Send { message, to, .. } = e {
                assert_eq!(
                    message.profile.as_ref(),
                    Some(&account.bot),
                    "bot messages carry the bot profile"
                );
                assert_eq!(message.from, Author::Bot);
                assert_eq!(message.epoch, conv.epoch);
                assert_eq!(to.id.as_str(), msg.0);
            }
        }
    }
}

const GREETING: &str = "Hi Jo!";

#[test]
fn bot_transitions() {
    type Step = (Msg, &'static str, &'static [&'static str]);
    let scenarios: &[(&str, &[Step])] = &[
        (
            "a rule answers after the greeting",
            &[
                (
                    ("u", "my order?", None),
                    "bot",
                    &[GREETING, "Track it at https://example.com/track."],
                ),
                (
                    ("u", "order again", None),
                    "bot",
                    &["Track it at https://example.com/track."],
                ),
            ],
        ),
        (
            "an opening message nothing matches gets the greeting alone",
            &[(("u", "hello", None), "bot", &[GREETING])],
        ),
        (
            "fallback, then escalate on the second miss",
            &[
                (("u", "hello", None), "bot", &[GREETING]),
                (("u", "blah", None), "bot", &["Sorry?"]),
                (
                    ("u", "blah blah", None),
                    "queued",
                    &["Let me find you a person.", "You are number 1 of 1."],
                ),
            ],
        ),
        (
            "a match resets the fallback count",
            &[
                (("u", "hello", None), "bot", &[GREETING]),
                (("u", "blah", None), "bot", &["Sorry?"]),
                (
                    ("u", "order", None),
                    "bot",
                    &["Track it at https://example.com/track."],
                ),
                (("u", "blah", None), "bot", &["Sorry?"]),
            ],
        ),
        (
            "keyword escalation, then silence while queued",
            &[
                (
                    ("u", "agent", None),
                    "queued",
                    &[GREETING, "Connecting you.", "You are number 1 of 1."],
                ),
                (("u", "hello? order? agent?", None), "queued", &[]),
                (("u", "bye", None), "queued", &[]),
            ],
        ),
        (
            "quick-reply payload wins over the text",
            &[
                (("u", "hi", None), "bot", &[GREETING]),
                (
                    ("u", "bye", Some("escalate")),
                    "queued",
                    &["Connecting you.", "You are number 1 of 1."],
                ),
            ],
        ),
        (
            "an escalating rule without a reply still tells the place",
            &[(
                ("u", "unacceptable", None),
                "queued",
                &[GREETING, "You are number 1 of 1."],
            )],
        ),
        (
            "close, then a new episode greets again",
            &[
                (
                    ("u", "order", None),
                    "bot",
                    &[GREETING, "Track it at https://example.com/track."],
                ),
                (("u", "bye", None), "closed", &["Bye!"]),
                (
                    ("u", "order", None),
                    "bot",
                    &[GREETING, "Track it at https://example.com/track."],
                ),
            ],
        ),
    ];
    for (name, steps) in scenarios {
        let mut desk = Desk::default();
        let run =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&mut desk, steps)));
        if let Err(e) = run {
            panic!("scenario '{name}' failed: {:?}", e.downcast_ref::<String>());
        }
    }
}

#[test]
fn queue_orders_by_priority_then_time() {
    let mut desk = Desk::default();
    check(
        &mut desk,
        &[
            (
                ("a", "agent", None),
                "queued",
                &[GREETING, "Connecting you.", "You are number 1 of 1."],
            ),
            (
                ("b", "agent", None),
                "queued",
                &[GREETING, "Connecting you.", "You are number 2 of 2."],
            ),
            (
                ("c", "unacceptable", None),
                "queued",
                &[GREETING, "You are number 1 of 3."],
            ),
            (
                ("d", "agent", None),
                "queued",
                &[GREETING, "Connecting you.", "You are number 4 of 4."],
            ),
        ],
    );
    let queue = desk.queue(&AccountId::from("acme")).unwrap();
    let order: Vec<String> = queue
        .iter()
        .map(|id| desk.conversation(id).unwrap().customer.id.0.clone())
        .collect();
    assert_eq!(order, ["c", "a", "b", "d"]);
    let c = desk
        .conversations()
        .find(|c| c.customer.id.as_str() == "c")
        .unwrap();
    let ticket = c.ticket().unwrap();
    assert_eq!(
        (
            ticket.reason.as_str(),
            ticket.priority,
            ticket.skills.as_slice()
        ),
        ("frustrated", 5, &["retention".to_owned()][..])
    );
}

#[test]
fn restore_rebuilds_queues_and_ids() {
    let mut desk = Desk::default();
    check(
        &mut desk,
        &[
            (
                ("a", "agent", None),
                "queued",
                &[GREETING, "Connecting you.", "You are number 1 of 1."],
            ),
            (("b", "hello", None), "bot", &[GREETING]),
        ],
    );
    let saved: Vec<Conversation> = desk.conversations().cloned().collect();
    let mut restored = Desk::restore(saved, [&account()]);
    check(
        &mut restored,
        &[
            (
                ("b", "agent", None),
                "queued",
                &["Connecting you.", "You are number 2 of 2."],
            ),
            (
                ("c", "agent", None),
                "queued",
                &[GREETING, "Connecting you.", "You are number 3 of 3."],
            ),
        ],
    );
    let ids: std::collections::HashSet<_> = restored.conversations().map(|c| c.id).collect();
    assert_eq!(
        ids.len(),
        3,
        "a restored desk never reuses a conversation id"
    );
}

#[test]
fn message_ids_are_unique_and_ordered_within_a_conversation() {
    let mut desk = Desk::default();
    let account = account();
    let mut ids = Vec::new();
    for (i, text) in ["order", "blah", "agent"].iter().enumerate() {
        for e in desk.handle(input(("u", text, None)), Timestamp(i as u64), &account) {
            match e {
                Effect::Record(m) | Effect::Send { message: m, .. } => ids.push(m.id),
                _ => {}
            }
        }
    }
    let seqs: Vec<u64> = ids.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (0..ids.len() as u64).collect::<Vec<_>>());
}
