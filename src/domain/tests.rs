//! Table-driven tests of the state machine: each scenario is a list of customer messages with
//! the state after each and exactly what the bot said.

use super::testkit::{check, Step, World};
use super::*;

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

fn world() -> World {
    World::from_rules(RULES)
}

const GREETING: &str = "Hi Jo!";

#[test]
fn bot_transitions() {
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
        let mut w = world();
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&mut w, steps)));
        if let Err(e) = run {
            panic!("scenario '{name}' failed: {:?}", e.downcast_ref::<String>());
        }
    }
}

#[test]
fn queue_orders_by_priority_then_time() {
    let mut w = world();
    check(
        &mut w,
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
    let desk = &w.desk;
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
    let mut w = world();
    check(
        &mut w,
        &[
            (
                ("a", "agent", None),
                "queued",
                &[GREETING, "Connecting you.", "You are number 1 of 1."],
            ),
            (("b", "hello", None), "bot", &[GREETING]),
        ],
    );
    let saved: Vec<Conversation> = w.desk.conversations().cloned().collect();
    w.desk = Desk::restore(saved, [&w.account]);
    check(
        &mut w,
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
    let ids: foldhash::HashSet<_> = w.desk.conversations().map(|c| c.id).collect();
    assert_eq!(
        ids.len(),
        3,
        "a restored desk never reuses a conversation id"
    );
}

#[test]
fn message_ids_are_unique_and_ordered_within_a_conversation() {
    let mut w = world();
    let mut ids = Vec::new();
    for text in ["order", "blah", "agent"] {
        for e in w.message("u", Some("Jo"), text, None) {
            match e {
                Effect::Record(m) | Effect::Send { message: m, .. } => ids.push(m.id),
                _ => {}
            }
        }
    }
    let seqs: Vec<u64> = ids.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (0..ids.len() as u64).collect::<Vec<_>>());
}
