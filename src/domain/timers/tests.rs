//! Each timeout in each state it applies to, driven through the desk the way the scheduler
//! drives it (`World::advance` fires deadlines in order), and deadlines that have gone stale.

use crate::domain::testkit::*;
use crate::domain::waiting::{KEEP_WAITING as KEEP, LEAVE_MESSAGE as LEAVE};
use crate::domain::*;

mod due;

pub(super) const MIN: u64 = 60_000;

const TIMEOUTS: &str = r#"
[[rule]]
name = "bye"
keywords = ["bye"]
reply = "Bye!"
close = true

[timeouts]
bot_unresolved = "10m"
queue_update = "2m"
queue_max_wait = "30m"
offer = "30s"
agent_first_reply = "3m"
customer_idle = "20m"
agent_disconnect_grace = "1m"
ageing = "5m"

[waiting]
update = "update #{queue.position}: {queue.wait}"
unknown_wait = "update #{queue.position}: unknown"
apology = "sorry #{queue.position}"
after_hours = "closed; open {hours}"
keep_waiting = "kept #{queue.position}"
leave_message = "write it"
message_taken = "got it"
handed_back = "idle, {agent.name} gone"
requeued = "{agent.name} silent, #{queue.position}"
"#;

pub(super) fn world() -> World {
    World::with_rules(TIMEOUTS)
}

#[test]
fn bot_unresolved_escalates_what_the_bot_has_not_resolved_counting_from_the_first_message() {
    let mut w = world();
    w.customer("u", "hello");
    let first = w.now;
    assert_eq!(w.deadline("u"), Some(first + 10 * MIN));
    assert!(w.advance(5 * MIN).is_empty());
    w.customer("u", "order");
    assert_eq!(
        w.deadline("u"),
        Some(first + 10 * MIN),
        "later messages do not move it"
    );
    let fx = w.advance(5 * MIN);
    assert_eq!(w.state("u"), "queued");
    assert_eq!(
        w.conv("u").ticket().map(|t| t.reason.as_str()),
        Some("bot_timeout")
    );
    assert_eq!(texts(&fx), ["You are number 1."]);
    assert_eq!(sent(&fx)[0].1, "bot");

    // Resolved by a rule before the time: no deadline, nothing fires.
    w.customer("v", "hello");
    w.customer("v", "bye");
    assert_eq!((w.state("v"), w.deadline("v")), ("closed", None));
    assert!(texts(&w.advance(60 * MIN))
        .iter()
        .all(|t| !t.contains("You are")));
}

#[test]
fn queue_updates_tell_the_place_and_a_range_once_there_is_history() {
    let mut w = world();
    let a1 = agent(1, &[], 1);
    for who in ["a", "b", "c"] {
        w.customer(who, "agent");
    }
    let fx = w.advance(2 * MIN);
    assert_eq!(
        texts(&fx),
        [
            "update #1: unknown",
            "update #2: unknown",
            "update #3: unknown"
        ]
    );
    // a1 takes "a", writes, and resolves it after 10 minutes: one handling time.
    w.seen(&a1, Some(Presence::Available));
    let a = w.id("a");
    w.accept(a1.id, a);
    w.send(a1.id, a, "hi");
    w.advance(10 * MIN);
    w.resolve(a1.id, a);
    assert_eq!((w.state("b"), w.state("c")), ("offered", "queued"));
    let b = w.id("b");
    w.accept(a1.id, b);
    // "c" is first in line; one agent, 10 minutes a conversation.
    let fx = w.advance(2 * MIN);
    assert_eq!(texts(&fx), ["update #1: 5 to 15 minutes"]);
}

#[test]
fn a_long_wait_offers_to_keep_waiting_or_leave_a_message() {
    let mut w = world();
    w.customer("u", "agent");
    let fx = w.advance(30 * MIN);
    let said = texts(&fx);
    assert_eq!(said.len(), 15, "14 updates, then the apology: {said:?}");
    assert_eq!(said.last().map(String::as_str), Some("sorry #1"));
    let quick: Vec<String> = fx
        .iter()
        .rev()
        .find_map(|e| match e {
            Effect::Send { message, .. } => Some(
                message
                    .quick_replies
                    .iter()
                    .map(|q| q.payload.clone())
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default();
    assert_eq!(quick, [KEEP, LEAVE]);

    // Keep waiting: told the place; the next apology is a full wait later.
    assert_eq!(texts(&w.tap("u", KEEP)), ["kept #1"]);
    let said = texts(&w.advance(30 * MIN));
    assert_eq!(said.iter().filter(|t| t.starts_with("sorry")).count(), 1);
    assert_eq!(said.last().map(String::as_str), Some("sorry #1"));

    // Leave a message: parked as closed, flagged, out of the line, nothing pending.
    assert_eq!(texts(&w.tap("u", LEAVE)), ["write it"]);
    assert_eq!(w.state("u"), "closed");
    assert_eq!(
        w.desk.queue(&AccountId::from("acme")).map(|q| q.len()),
        Some(0)
    );
    assert_eq!(w.deadline("u"), None);
    let since = w
        .conv("u")
        .follow_up
        .as_ref()
        .map(|f| (f.since.0, f.message));
    assert_eq!(since, Some((w.now, None)));
    // The message they leave is kept and acknowledged once; the next opens a new episode.
    assert_eq!(texts(&w.customer("u", "my router is broken")), ["got it"]);
    assert_eq!(w.state("u"), "closed");
    assert!(w
        .conv("u")
        .follow_up
        .as_ref()
        .is_some_and(|f| f.message.is_some()));
    assert_eq!(texts(&w.customer("u", "hello?")), ["Hi!"]);
    assert_eq!(w.state("u"), "bot");
    assert!(w.conv("u").follow_up.is_some(), "still owed a reply");
}

#[test]
fn an_offer_not_accepted_in_time_goes_to_the_next_fit_agent() {
    let mut w = world();
    let (a1, a2) = (agent(1, &[], 1), agent(2, &[], 1));
    w.seen(&a1, Some(Presence::Available));
    w.customer("u", "agent");
    let c = w.id("u");
    w.seen(&a2, Some(Presence::Available));
    assert!(w.advance(30_000 - 2).is_empty());
    let fx = w.advance(1);
    assert!(told(&fx, 1).iter().any(|e| matches!(
        e,
        AgentEvent::OfferWithdrawn {
            why: Withdrawn::Timeout,
            ..
        }
    )));
    assert_eq!(offers(&fx), [(2, c)]);
}

#[test]
fn an_agent_who_does_not_write_is_nudged_then_the_conversation_goes_back_up_the_line() {
    let mut w = world();
    let (a1, c) = w.held("u", 1);
    let since = w.now;
    let fx = w.advance(3 * MIN);
    assert_eq!(
        told(&fx, 1),
        [AgentEvent::Nudge {
            conversation: c,
            requeue_at: Timestamp(since + 6 * MIN)
        }]
    );
    assert!(sent(&fx).is_empty(), "the customer is not bothered");
    let a2 = agent(2, &[], 1);
    w.seen(&a2, Some(Presence::Available));
    let epoch = w.conv("u").epoch;
    let fx = w.advance(3 * MIN);
    assert!(told(&fx, 1).contains(&AgentEvent::Closed {
        conversation: c,
        why: LetGo::NoFirstReply
    }));
    assert_eq!(texts(&fx), ["Agent1 silent, #1"]);
    assert_eq!(sent(&fx)[0].1, "bot");
    assert_eq!(offers(&fx), [(2, c)], "to someone else");
    let t = w.conv("u").ticket().cloned();
    assert_eq!(
        t.map(|t| (t.reason, t.priority)),
        Some(("no_first_reply".into(), 1))
    );
    assert!(w.conv("u").epoch > epoch);
    let _ = a1;

    // An agent who writes in time is never nudged.
    let mut w = world();
    let (a1, c) = w.held("v", 1);
    w.advance(2 * MIN);
    w.send(a1.id, c, "Hello!");
    assert!(told(&w.advance(10 * MIN), 1).is_empty());
}

#[test]
fn a_silent_customer_is_handed_back_to_the_bot_and_the_agent_told() {
    let mut w = world();
    let (a1, c) = w.held("u", 1);
    w.send(a1.id, c, "How can I help?");
    w.advance(10 * MIN);
    w.customer("u", "still thinking");
    let heard = w.now;
    assert!(w.advance(19 * MIN).is_empty());
    let epoch = w.conv("u").epoch;
    let fx = w.advance(MIN);
    assert_eq!(w.now, heard + 20 * MIN);
    assert_eq!(w.state("u"), "bot");
    assert_eq!(texts(&fx), ["idle, Agent1 gone"]);
    assert_eq!(sent(&fx)[0].1, "bot", "signed by the bot again");
    assert!(w.conv("u").epoch > epoch);
    assert!(told(&fx, 1).contains(&AgentEvent::Closed {
        conversation: c,
        why: LetGo::CustomerIdle
    }));
    // Back with the bot, the customer has not written yet: no bot timeout runs.
    assert_eq!(w.deadline("u"), None);
}

#[test]
fn ageing_lets_a_long_wait_outrank_a_higher_priority() {
    // "old" (priority 0) waited this long before "vip" (priority 5, ageing 5m) came in.
    for (waited, first) in [(20 * MIN, "vip"), (26 * MIN, "old")] {
        let mut w = world();
        w.customer("old", "agent");
        w.advance(waited);
        w.customer("vip", "cancel");
        let a = agent(1, &["retention"], 1);
        let fx = w.seen(&a, Some(Presence::Available));
        assert_eq!(offers(&fx), [(1, w.id(first))], "after {waited} ms");
    }
}

#[test]
fn a_stale_deadline_changes_nothing_in_any_state() {
    let mut w = world();
    w.held("held", 2);
    w.customer("bot", "hello");
    w.customer("offered", "agent");
    w.seen(&agent(1, &[], 1), Some(Presence::Available));
    w.customer("queued", "agent");
    w.customer("closed", "bye");
    let states = ["bot", "queued", "offered", "closed", "held"].map(|who| w.state(who));
    assert_eq!(states, ["bot", "queued", "offered", "closed", "with_agent"]);
    for who in ["bot", "queued", "offered", "closed", "held"] {
        let before = w.conv(who).clone();
        let at = Timestamp(w.now);
        let fx = w.input(Input::Deadline {
            timer: Timer::Conversation(before.id),
            at,
        });
        assert!(
            fx.iter().all(|e| matches!(e, Effect::Save(_))),
            "{who}: {fx:?}"
        );
        let after = w.conv(who);
        assert_eq!(
            (&after.state, after.epoch, after.next_seq, after.deadline),
            (
                &before.state,
                before.epoch,
                before.next_seq,
                before.deadline
            ),
            "{who}"
        );
    }
}

pub(super) fn weekdays() -> Hours {
    let days = ["mon-fri".to_owned()];
    Hours::new("UTC", &days, "09:00", "17:00").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn queued_outside_business_hours_the_customer_hears_the_hours_and_the_choice_at_once() {
    let mut w = world();
    // The world's clock starts on Thursday 1970-01-01 at midnight UTC: closed.
    w.account.hours = Some(weekdays());
    let fx = w.customer("u", "agent");
    assert_eq!(
        texts(&fx),
        [
            "Hi!",
            "You are number 1.",
            "closed; open Mon–Fri 09:00–17:00 (UTC)"
        ]
    );
    let t = w.conv("u").ticket().cloned();
    assert_eq!(t.map(|t| t.apologies), Some(1));
    // Nothing more overnight: the next word is an update at 09:00.
    assert_eq!(w.deadline("u"), Some(9 * 60 * MIN));
}

#[test]
fn leaving_a_message_while_being_offered_withdraws_the_offer() {
    let mut w = world();
    let a1 = agent(1, &[], 1);
    w.seen(&a1, Some(Presence::Available));
    w.customer("u", "agent");
    let c = w.id("u");
    assert_eq!(w.state("u"), "offered");
    assert_eq!(texts(&w.tap("u", KEEP)), ["kept #1"]);
    let fx = w.tap("u", LEAVE);
    assert_eq!(texts(&fx), ["write it"]);
    assert!(told(&fx, 1).contains(&AgentEvent::OfferWithdrawn {
        conversation: c,
        why: Withdrawn::CustomerLeft
    }));
    assert_eq!((w.state("u"), w.deadline("u")), ("closed", None));
    // The agent's room is back: the next customer is offered to it at once.
    w.customer("v", "agent");
    assert_eq!(w.state("v"), "offered");
}

#[test]
fn after_a_restart_the_customer_still_hears_the_agents_name() {
    let mut w = world();
    let (a1, c) = w.held("u", 1);
    w.send(a1.id, c, "Hi!");
    // Restarted: the desk is rebuilt from its conversations, and nobody is connected.
    let saved: Vec<Conversation> = w.desk.conversations().cloned().collect();
    w.desk = Desk::restore(saved, [&w.account]);
    assert_eq!(texts(&w.advance(20 * MIN)), ["idle, Agent1 gone"]);
}
