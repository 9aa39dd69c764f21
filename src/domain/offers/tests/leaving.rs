//! An agent disabled or removed (`Input::AgentLeft`): what it held and was offered goes back
//! in line and on to whoever fits, the customer hears what they hear when an agent vanishes,
//! its grace goes, and it is offered nothing until it is seen again.

use crate::domain::testkit::*;
use crate::domain::*;

#[test]
fn what_a_leaving_agent_held_goes_back_in_line_and_to_the_next_agent() {
    let mut w = World::new();
    let (a1, a2) = (agent(1, &[], 2), agent(2, &[], 1));
    w.seen(&a1, Some(Presence::Available));
    w.customer("held", "agent");
    let held = w.id("held");
    w.accept(a1.id, held);
    w.customer("offered", "agent");
    let offered = w.id("offered");
    assert_eq!(w.state("offered"), "offered");
    w.seen(&a2, Some(Presence::Away));
    let epoch = w.conv("held").epoch;

    let fx = w.left(a1.id);
    // The offer is withdrawn (the agent gone), the hold ends under a new epoch.
    assert!(told(&fx, 1).contains(&AgentEvent::OfferWithdrawn {
        conversation: offered,
        why: Withdrawn::AgentGone
    }));
    assert_eq!((w.state("held"), w.state("offered")), ("queued", "queued"));
    assert!(w.conv("held").epoch > epoch);
    // The held one keeps its place ahead of newer ones: queued as of when a1 took it.
    assert_eq!(
        w.conv("held").ticket().map(|t| t.reason.as_str()),
        Some("agent_gone")
    );
    // Its customer is told by the bot, as when an agent vanishes; the other hears nothing new.
    let said = sent(&fx);
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!((said[0].0, said[0].1.as_str()), (Author::Bot, "bot"));
    assert!(said[0].2.contains("number 1"), "{said:?}");
    assert!(offers(&fx).is_empty(), "a2 is away, a1 gone");

    // The next agent to be free gets the held one first.
    assert_eq!(offers(&w.seen(&a2, Some(Presence::Available))), [(2, held)]);
}

#[test]
fn a_left_agent_is_offered_nothing_and_cannot_be_transferred_to() {
    let mut w = World::new();
    let (a1, a2) = (agent(1, &[], 3), agent(2, &[], 3));
    w.seen(&a1, Some(Presence::Available));
    w.seen(&a2, Some(Presence::Available));
    w.left(a1.id);
    w.customer("u", "agent");
    let c = w.id("u");
    assert!(matches!(w.conv("u").state, State::Offered { agent, .. } if agent == a2.id));
    // A transfer to the agent who left is refused.
    w.accept(a2.id, c);
    let fx = w.transfer(a2.id, c, TransferTo::Agent(a1.id), None);
    assert_eq!(refused(&fx), [Refusal::AgentUnavailable]);
    // Its own actions are refused: it holds nothing.
    assert_eq!(refused(&w.send(a1.id, c, "hi")), [Refusal::NotAssigned]);
}

#[test]
fn leaving_ends_a_running_grace() {
    let mut w = World::new();
    let (a1, _) = w.held("u", 1);
    let grace = Timer::Agent(a1.id);
    w.seen(&a1, None);
    assert!(w.deadlines.iter().any(|(_, t)| *t == grace));
    let fx = w.left(a1.id);
    assert!(!w.deadlines.iter().any(|(_, t)| *t == grace));
    assert_eq!(w.state("u"), "queued");
    assert_eq!(texts(&fx).len(), 1);
}

#[test]
fn an_agent_enabled_again_is_seated_afresh() {
    let mut w = World::new();
    let a1 = agent(1, &[], 1);
    w.seen(&a1, Some(Presence::Available));
    w.left(a1.id);
    w.customer("u", "agent");
    assert_eq!(w.state("u"), "queued");
    let c = w.id("u");
    assert_eq!(offers(&w.seen(&a1, Some(Presence::Available))), [(1, c)]);
}

#[test]
fn leaving_with_nothing_changes_nothing_but_the_seat() {
    let mut w = World::new();
    let a1 = agent(1, &[], 1);
    assert!(w.left(a1.id).is_empty(), "never seen");
    w.seen(&a1, Some(Presence::Available));
    assert!(w.left(a1.id).is_empty());
}
