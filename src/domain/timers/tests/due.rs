//! The next deadline each state makes: a table over `due`, with and without business hours.

use super::{weekdays, world, MIN};
use crate::domain::*;
use crate::rules;

/// A `due` case: name, conversation, business hours, now, the deadline expected.
type Case<'a> = (
    &'a str,
    Conversation,
    Option<&'a Hours>,
    u64,
    Option<(u64, Due)>,
);

#[test]
fn the_next_deadline_of_each_state() {
    const MON_12: u64 = 1_795_435_200_000; // Monday 2026-11-23 12:00 UTC
    const MON_1659: u64 = 1_795_453_140_000;
    const MON_17: u64 = 1_795_453_200_000;
    const SAT_10: u64 = 1_795_860_000_000;
    const NEXT_MON_9: u64 = 1_796_029_200_000;
    let t = rules::Timeouts::default(); // 10m, 2m, 30m, 30s, 3m, 20m
    let hours = weekdays();
    let mut w = world();
    w.customer("c", "hello");
    let base = w.conv("c").clone();
    let with = |state: State, bot_since: Option<u64>| Conversation {
        state,
        bot_since: bot_since.map(Timestamp),
        ..base.clone()
    };
    let ticket = |at: u64, told: u64, apologies: u32| Ticket {
        told_at: Some(Timestamp(told)),
        apologies,
        ..Ticket::new("x", 0, Timestamp(at), Timestamp(at))
    };
    let held = |replied, nudged, heard: Option<u64>| State::WithAgent {
        agent: AgentId(1),
        since: Timestamp(MON_12),
        priority: 0,
        replied,
        nudged,
        heard_at: heard.map(Timestamp),
        name: "Sam".into(),
    };
    let table: Vec<Case<'_>> = vec![
        (
            "bot, customer not waiting",
            with(State::Bot, None),
            None,
            MON_12,
            None,
        ),
        (
            "bot, customer waiting",
            with(State::Bot, Some(MON_12)),
            None,
            MON_12,
            Some((MON_12 + 10 * MIN, Due::BotUnresolved)),
        ),
        (
            "queued, open",
            with(State::Queued(ticket(MON_12, MON_12, 0)), None),
            Some(&hours),
            MON_12,
            Some((MON_12 + 2 * MIN, Due::QueueUpdate)),
        ),
        (
            "queued, long wait",
            with(
                State::Queued(ticket(MON_12 - 30 * MIN, MON_12 - MIN, 0)),
                None,
            ),
            None,
            MON_12,
            Some((MON_12, Due::QueueMaxWait)),
        ),
        (
            "queued, closing before the next update",
            with(State::Queued(ticket(MON_1659, MON_1659, 0)), None),
            Some(&hours),
            MON_1659,
            Some((MON_17, Due::QueueMaxWait)),
        ),
        (
            "queued, closed, not yet told",
            with(State::Queued(ticket(SAT_10, SAT_10, 0)), None),
            Some(&hours),
            SAT_10,
            Some((SAT_10, Due::QueueMaxWait)),
        ),
        (
            "queued, closed, told: nothing until the team is back",
            with(State::Queued(ticket(SAT_10, SAT_10, 1)), None),
            Some(&hours),
            SAT_10,
            Some((NEXT_MON_9, Due::QueueUpdate)),
        ),
        (
            "offered",
            with(
                State::Offered {
                    ticket: ticket(MON_12, MON_12, 0),
                    agent: AgentId(1),
                    expires_at: Timestamp(MON_12 + 30_000),
                },
                None,
            ),
            None,
            MON_12,
            Some((MON_12 + 30_000, Due::Offer)),
        ),
        (
            "held, agent silent",
            with(held(false, false, None), None),
            None,
            MON_12,
            Some((MON_12 + 3 * MIN, Due::FirstReply)),
        ),
        (
            "held, agent silent after a reminder",
            with(held(false, true, None), None),
            None,
            MON_12,
            Some((MON_12 + 6 * MIN, Due::FirstReplyRequeue)),
        ),
        (
            "held, customer last heard",
            with(held(true, false, Some(MON_12 + 5 * MIN)), None),
            None,
            MON_12,
            Some((MON_12 + 25 * MIN, Due::CustomerIdle)),
        ),
        ("closed", with(State::Closed, None), None, MON_12, None),
    ];
    for (name, conv, hours, now, want) in table {
        let got = due(&conv, &t, hours, Timestamp(now)).map(|(at, d)| (at.0, d));
        assert_eq!(got, want, "{name}");
    }
}
