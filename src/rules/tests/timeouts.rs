//! `[timeouts]` and per-rule `timeouts`: what loads, how `Timeouts::for_rule` merges, what is
//! refused.

use std::time::Duration;

use super::errors::{errors, with_bot};
use super::{book, check, BOT};
use crate::rules::{TimeoutOverrides, Timeouts};

const MIN: u64 = 60;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

const RULES: &str = r#"
[timeouts]
offer = "20s"
ageing = "7m"

[[rule]]
name = "slow"
keywords = ["slow"]
escalate = { reason = "slow" }
timeouts = { queue_max_wait = "15m", offer = "45s", ageing = "1m" }

[[rule]]
name = "plain"
keywords = ["plain"]
escalate = { reason = "plain" }

[[rule]]
name = "sub"
keywords = ["sub"]
escalate = { reason = "sub" }

[rule.timeouts]
customer_idle = "5m"
bot_unresolved = "1h"
"#;

#[test]
fn merged_per_rule() {
    let book = book(&[("00-bot.toml", BOT), ("10-r.toml", RULES)]);
    let base = Timeouts {
        offer: secs(20),
        ageing: secs(7 * MIN),
        ..Timeouts::default()
    };
    assert_eq!(book.timeouts, base);
    check(
        &[
            (
                Some("slow"),
                Timeouts {
                    queue_max_wait: secs(15 * MIN),
                    offer: secs(45),
                    ageing: secs(MIN),
                    ..base
                },
            ),
            (
                Some("sub"),
                Timeouts {
                    customer_idle: secs(5 * MIN),
                    bot_unresolved: secs(60 * MIN),
                    ..base
                },
            ),
            // No overrides, a name that went away on reload, and no rule at all: the book's own.
            (Some("plain"), base),
            (Some("gone"), base),
            (Some("Slow"), base),
            (None, base),
        ],
        |rule| {
            book.timeouts
                .for_rule(rule.and_then(|name| book.rule_named(name)))
        },
    );
    let overrides: Vec<(&str, TimeoutOverrides)> = book
        .rules()
        .iter()
        .map(|r| (r.name.as_str(), r.timeouts))
        .collect();
    let slow = TimeoutOverrides {
        queue_max_wait: Some(secs(15 * MIN)),
        offer: Some(secs(45)),
        ageing: Some(secs(MIN)),
        ..TimeoutOverrides::default()
    };
    assert_eq!(
        overrides[..2],
        [("slow", slow), ("plain", Default::default())]
    );
}

#[test]
fn ageing_alone() {
    let book = book(&[("00-bot.toml", &format!("{BOT}\n[timeouts]\nageing = '90s'"))]);
    let want = Timeouts {
        ageing: secs(90),
        ..Timeouts::default()
    };
    assert_eq!(book.timeouts, want);
    assert_eq!(book.timeouts.for_rule(None), want);
}

#[test]
fn refused() {
    let rule = |timeouts: &'static str| {
        with_bot(vec![
            "[[rule]]",
            "name = 'a'",
            "keywords = ['x']",
            "escalate = { reason = 'r' }",
            timeouts,
        ])
    };
    check(
        &[
            (
                with_bot(vec!["[timeouts]", "ageing = '0s'", "offer = 'soon'"]),
                vec![
                    "r.toml:2:10: timeouts.ageing must be longer than zero".to_owned(),
                    r#"r.toml:3:9: timeouts.offer: invalid duration "soon": expected number at 0"#
                        .to_owned(),
                ],
            ),
            (
                rule("timeouts = { offer = '0s', ageing = '3 fortnights', queue_update = '1m' }"),
                vec![
                    r#"r.toml:5:22: rule "a" timeouts.offer must be longer than zero"#.to_owned(),
                    r#"r.toml:5:37: rule "a" timeouts.ageing: invalid duration "3 fortnights": unknown time unit "fortnights", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)"#
                        .to_owned(),
                ],
            ),
            // At the key, which is what is wrong, and only once however bad the value.
            (
                rule("timeouts = { offer = '1m', agent_disconnect_grace = 'never' }"),
                vec![
                    "r.toml:5:28: agent_disconnect_grace cannot be set per rule; \
                     set it in [timeouts]"
                        .to_owned(),
                ],
            ),
            (
                rule("[rule.timeouts]\noffer = '1m'\n  agent_disconnect_grace = '1m'"),
                vec![
                    "r.toml:7:3: agent_disconnect_grace cannot be set per rule; \
                     set it in [timeouts]"
                        .to_owned(),
                ],
            ),
            (
                rule("timeouts = { offer = '1m', ofer = '2m' }"),
                vec![
                    "r.toml:5:28: unknown field `ofer`, expected one of `bot_unresolved`, \
                     `queue_update`, `queue_max_wait`, `offer`, `agent_first_reply`, \
                     `customer_idle`, `agent_disconnect_grace`, `ageing`"
                        .to_owned(),
                ],
            ),
        ],
        errors,
    );
}
