//! Seating and routing, scenario by scenario: who is offered what and why, and how offers and
//! holds end without the agent (decline, lapse, going offline, grace, restart).

use crate::domain::testkit::*;
use crate::domain::*;

#[test]
fn a_decline_or_a_lapse_goes_to_the_next_fit_agent_and_keeps_the_place() {
    let mut w = World::new();
    let (a1, a2) = (agent(1, &[], 1), agent(2, &[], 1));
    w.customer("first", "agent");
    w.customer("second", "agent");
    let (c1, c2) = (w.id("first"), w.id("second"));
    // a1 gets the longest-waiting conversation.
    assert_eq!(offers(&w.seen(&a1, Some(Presence::Available))), [(1, c1)]);
    // a2 arrives and gets the next one.
    assert_eq!(offers(&w.seen(&a2, Some(Presence::Available))), [(2, c2)]);
    let fx = w.decline(a1.id, c1);
    // Withdrawn from a1, and (a2 being full, nobody else fit) offered to a1 again at once.
    assert_eq!(w.state("first"), "offered");
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Notify {
            event: AgentEvent::OfferWithdrawn {
                why: Withdrawn::Declined,
                ..
            },
            ..
        }
    )));
    // a2 is full (capacity 1); with nobody else fit, the decliner is asked again.
    assert_eq!(offers(&fx), [(1, c1)]);
    assert_eq!(
        w.desk.queue(&AccountId::from("acme")).map(|q| q.len()),
        Some(0)
    );

    // a2 lets c2 lapse twice in a row: c2 is re-offered, and a2 is set away.
    let fx = w.fire(Timer::Conversation(c2));
    assert_eq!(offers(&fx), [(2, c2)], "nobody else is free: a2 again");
    let fx = w.fire(Timer::Conversation(c2));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Notify {
            event: AgentEvent::SetAway { .. },
            ..
        }
    )));
    assert!(offers(&fx).is_empty());
    assert_eq!(w.state("second"), "queued");
    // A deadline that fires after the conversation moved on changes nothing.
    w.accept(a1.id, c1);
    let stale = w.input(Input::Deadline {
        timer: Timer::Conversation(c1),
        at: Timestamp(w.now),
    });
    assert!(
        stale.iter().all(|e| matches!(e, Effect::Save(_))),
        "{stale:?}"
    );
    assert_eq!(w.state("first"), "with_agent");
}

#[test]
fn skills_capacity_priority_load_and_idleness_decide_who_gets_what() {
    let mut w = World::new();
    let general = agent(1, &[], 2);
    let retention = agent(2, &["retention"], 1);
    w.customer("plain", "agent");
    w.customer("angry", "I will cancel");
    let (plain, angry) = (w.id("plain"), w.id("angry"));
    // Priority first: the angry customer is ahead, but needs retention; general cannot take it.
    assert_eq!(
        offers(&w.seen(&general, Some(Presence::Available))),
        [(1, plain)]
    );
    assert_eq!(
        offers(&w.seen(&retention, Some(Presence::Available))),
        [(2, angry)]
    );

    // Least loaded wins; at equal load, the longest idle.
    let mut w = World::new();
    let (a3, a4) = (agent(3, &[], 3), agent(4, &[], 3));
    w.seen(&a3, Some(Presence::Available));
    w.seen(&a4, Some(Presence::Available));
    w.customer("x", "agent");
    w.customer("y", "agent");
    let held: Vec<u64> = ["x", "y"]
        .iter()
        .map(|who| match w.conv(who).state {
            State::Offered { agent, .. } => agent.0,
            _ => panic!("{who} not offered"),
        })
        .collect();
    assert_eq!(
        held,
        [3, 4],
        "a3 idle longest takes x; then a4 is less loaded"
    );
}

#[test]
fn an_agent_going_offline_gives_its_offers_back() {
    let mut w = World::new();
    let (a1, a2) = (agent(1, &[], 1), agent(2, &[], 1));
    w.seen(&a1, Some(Presence::Available));
    w.customer("u", "agent");
    let c = w.id("u");
    assert_eq!(w.state("u"), "offered");
    w.seen(&a2, Some(Presence::Away));
    let fx = w.seen(&a1, None);
    assert_eq!(w.state("u"), "queued");
    assert!(offers(&fx).is_empty(), "a2 is away");
    assert_eq!(offers(&w.seen(&a2, Some(Presence::Available))), [(2, c)]);
}

#[test]
fn whoever_declined_is_passed_over_while_another_fit_agent_is_free() {
    let mut w = World::new();
    let (a1, a2) = (agent(1, &[], 1), agent(2, &[], 1));
    w.seen(&a1, Some(Presence::Available));
    w.customer("u", "agent");
    let c = w.id("u");
    w.seen(&a2, Some(Presence::Away));
    w.seen(&a2, Some(Presence::Available));
    let fx = w.decline(a1.id, c);
    assert_eq!(offers(&fx), [(2, c)]);
    assert_eq!(w.conv("u").declined, [a1.id]);
    // Once accepted, the record of who declined is cleared.
    w.accept(a2.id, c);
    assert!(w.conv("u").declined.is_empty());
}

#[test]
fn a_disconnected_agent_keeps_its_conversations_for_the_grace_then_they_go_back() {
    let mut w = World::new();
    let (a1, a2) = (agent(1, &[], 1), agent(2, &[], 1));
    w.seen(&a1, Some(Presence::Available));
    w.customer("u", "agent");
    let c = w.id("u");
    w.accept(a1.id, c);
    // Gone: a grace timer, and the conversation stays with a1 meanwhile.
    let fx = w.seen(&a1, None);
    let grace = Timer::Agent(a1.id);
    assert!(fx.iter().any(|e| matches!(e, Effect::Schedule { timer, from: None, to: Some(at) } if *timer == grace && at.0 == w.now + 60_000)));
    assert_eq!(w.state("u"), "with_agent");
    // Back in time: the deadline leaves the index; had it fired, it would change nothing.
    w.seen(&a1, Some(Presence::Available));
    assert!(!w.deadlines.iter().any(|(_, t)| *t == grace));
    let at = Timestamp(w.now);
    assert!(w.input(Input::Deadline { timer: grace, at }).is_empty());
    // Gone for good: back to the queue, the customer told by the bot, offered to a2.
    w.seen(&a1, None);
    w.seen(&a2, Some(Presence::Available));
    let epoch = w.conv("u").epoch;
    let fx = w.fire(grace);
    let told = sent(&fx);
    assert_eq!((told[0].0, told[0].1.as_str()), (Author::Bot, "bot"));
    assert!(told[0].2.contains("number 1"), "{told:?}");
    assert_eq!(offers(&fx), [(2, c)]);
    assert_eq!(
        w.conv("u").ticket().map(|t| t.reason.as_str()),
        Some("agent_gone")
    );
    assert!(w.conv("u").epoch > epoch);
}

#[test]
fn every_routing_decision_says_why_the_others_were_passed_over() {
    let mut w = World::new();
    let chosen = agent(1, &["retention"], 1);
    let away = agent(2, &["retention"], 1);
    let unskilled = agent(3, &[], 1);
    let full = agent(4, &["retention"], 1);
    let offline = agent(5, &["retention"], 1);
    // `full` is alone when the first conversation arrives, so it takes it and is at capacity.
    w.seen(&full, Some(Presence::Available));
    w.customer("first", "agent");
    assert_eq!(
        w.conv("first").routing.last().map(|n| n.offered_to),
        Some(full.id)
    );
    w.seen(&offline, Some(Presence::Available));
    w.seen(&offline, None);
    w.seen(&away, Some(Presence::Away));
    w.seen(&unskilled, Some(Presence::Available));
    w.seen(&chosen, Some(Presence::Available));
    w.customer("angry", "I will cancel");
    let note = w.conv("angry").routing.last().unwrap().clone();
    assert_eq!(note.offered_to, chosen.id);
    let why: Vec<(&str, usize, Vec<u64>)> = note
        .passed_over
        .iter()
        .map(|p| {
            (
                p.why.as_str(),
                p.count,
                p.agents.iter().map(|a| a.0).collect(),
            )
        })
        .collect();
    assert_eq!(
        why,
        [
            ("at capacity", 1, vec![4]),
            ("away", 1, vec![2]),
            ("missing skill", 1, vec![3]),
            ("offline", 1, vec![5])
        ]
    );
}

#[test]
fn after_a_restart_open_offers_are_back_in_line() {
    let mut w = World::new();
    let a1 = agent(1, &[], 1);
    w.seen(&a1, Some(Presence::Available));
    w.customer("u", "agent");
    assert_eq!(w.state("u"), "offered");
    let saved: Vec<Conversation> = w.desk.conversations().cloned().collect();
    let restored = Desk::restore(saved, [&w.account]);
    let c = restored.conversations().next().unwrap();
    assert_eq!(c.state.name(), "queued");
    assert_eq!(
        restored.queue(&AccountId::from("acme")).map(|q| q.len()),
        Some(1)
    );
}

mod leaving;
mod load;
