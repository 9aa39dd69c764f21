//! What agents do with conversations, scenario by scenario: the handoff and back, acting out
//! of turn, transfers, and the profile each outgoing message carries.

use crate::domain::testkit::*;
use crate::domain::*;

#[test]
fn the_whole_handoff_and_back_with_the_profile_in_force_at_each_step() {
    let mut w = World::new();
    let a0 = agent(0, &[], 2);
    w.customer("u", "agent please");
    assert_eq!(w.state("u"), "queued");
    let c = w.id("u");

    // Connected but away: nothing offered. Available: offered at once, with a deadline.
    assert!(offers(&w.seen(&a0, Some(Presence::Away))).is_empty());
    let fx = w.seen(&a0, Some(Presence::Available));
    assert_eq!(offers(&fx), [(0, c)]);
    assert_eq!(w.deadline("u"), Some(w.now + 30_000));
    assert_eq!(w.state("u"), "offered");

    let fx = w.accept(a0.id, c);
    assert_eq!(w.state("u"), "with_agent");
    assert_eq!(
        sent(&fx),
        [(
            Author::Agent,
            "acme-a0".into(),
            "Hi, I'm Agent0, a person on the Acme team. I've read our conversation so far.".into()
        )]
    );
    let epoch_with_agent = w.conv("u").epoch;
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Send { message, .. } if message.epoch == epoch_with_agent)));

    // The customer writes: the agent hears it, the bot says nothing.
    let fx = w.customer("u", "order? agent?");
    assert!(sent(&fx).is_empty());
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Notify {
            event: AgentEvent::Message { .. },
            ..
        }
    )));

    let fx = w.send(a0.id, c, "Let me look.");
    assert_eq!(
        sent(&fx),
        [(Author::Agent, "acme-a0".into(), "Let me look.".into())]
    );

    // Release: the bot is back, signed as the bot, under a newer epoch.
    let fx = w.release(a0.id, c);
    assert_eq!(w.state("u"), "bot");
    let back = sent(&fx);
    assert_eq!((back[0].0, back[0].1.as_str()), (Author::Bot, "bot"));
    assert!(w.conv("u").epoch > epoch_with_agent);
    assert_eq!(
        sent(&w.customer("u", "order")),
        [(Author::Bot, "bot".into(), "Track it online.".into())]
    );

    // Again, and this time resolved: closed; the next message opens a new episode.
    w.customer("u", "agent");
    let fx = w.accept(a0.id, c);
    assert_eq!(sent(&fx)[0].1, "acme-a0");
    w.resolve(a0.id, c);
    assert_eq!(w.state("u"), "closed");
    assert_eq!(
        sent(&w.customer("u", "hello"))[0],
        (Author::Bot, "bot".into(), "Hi!".into())
    );
}

#[test]
fn an_agent_acts_only_on_its_own_conversations() {
    let mut w = World::new();
    let (a1, a2) = (agent(1, &[], 1), agent(2, &[], 1));
    w.seen(&a1, Some(Presence::Available));
    w.customer("u", "agent");
    let c = w.id("u");
    let before = w.conv("u").clone();
    assert_eq!(refused(&w.accept(a2.id, c)), [Refusal::NotOffered]);
    assert_eq!(refused(&w.send(a1.id, c, "hi")), [Refusal::NotAssigned]);
    assert_eq!(refused(&w.release(a2.id, c)), [Refusal::NotAssigned]);
    assert_eq!(
        refused(&w.resolve(a1.id, ConversationId(99))),
        [Refusal::NotAssigned]
    );
    assert_eq!(w.conv("u"), &before, "nothing changed");
    w.accept(a1.id, c);
    assert_eq!(refused(&w.decline(a1.id, c)), [Refusal::NotOffered]);
}

#[test]
fn transfer_to_an_agent_or_to_a_skill_and_the_profile_follows() {
    let mut w = World::new();
    let (a1, a2) = (agent(1, &[], 2), agent(2, &["billing"], 2));
    w.seen(&a1, Some(Presence::Available));
    w.customer("u", "agent");
    let c = w.id("u");
    w.accept(a1.id, c);

    // To someone not connected: refused, nothing changes.
    let fx = w.transfer(a1.id, c, TransferTo::Agent(a2.id), None);
    assert_eq!(refused(&fx), [Refusal::AgentUnavailable]);
    assert_eq!(w.conv("u").held_by(), Some(a1.id));

    // To a2 by name: offered to a2 alone, with the note; a1 is told it is gone.
    w.seen(&a2, Some(Presence::Available));
    let fx = w.transfer(
        a1.id,
        c,
        TransferTo::Agent(a2.id),
        Some("billing dispute, order AM-1"),
    );
    assert_eq!(offers(&fx), [(2, c)]);
    assert!(fx.iter().any(|e| matches!(e, Effect::Notify { agent, event: AgentEvent::Closed { why: LetGo::Transferred, .. } } if *agent == a1.id)));
    assert_eq!(
        w.conv("u").ticket().and_then(|t| t.note.as_deref()),
        Some("billing dispute, order AM-1")
    );
    assert!(
        sent(&fx).is_empty(),
        "the customer hears from a2 once a2 accepts"
    );
    let fx = w.accept(a2.id, c);
    assert_eq!(sent(&fx)[0].1, "acme-a2");

    // To a skill: back in line ahead of newer ones, the bot says so, a skilled agent is offered.
    w.customer("newer", "agent");
    let fx = w.transfer(a2.id, c, TransferTo::Skills(vec!["billing".into()]), None);
    let told = sent(&fx);
    assert_eq!((told[0].0, told[0].1.as_str()), (Author::Bot, "bot"));
    assert!(told[0].2.contains("number 1"), "{told:?}");
    assert_eq!(offers(&fx), [(2, c)], "only a2 has billing");
    // Someone who does not hold it cannot move it.
    assert_eq!(
        refused(&w.transfer(a1.id, c, TransferTo::Skills(vec!["x".into()]), None)),
        [Refusal::NotAssigned]
    );
}

#[test]
fn what_the_customer_is_told_at_each_switch_is_the_brands_to_word() {
    let mut w = World::with_rules(
        "[waiting]\nannouncement = \"{agent.name} here, from {account.name}.\"\n\
         released = \"{bot.name} again.\"\ntransferred = \"Over to a colleague (#{queue.position}).\"",
    );
    let a1 = agent(1, &[], 2);
    w.seen(&a1, Some(Presence::Available));
    w.customer("u", "agent");
    let c = w.id("u");
    let fx = w.accept(a1.id, c);
    let told = sent(&fx);
    assert_eq!(
        (told[0].0, told[0].2.as_str()),
        (Author::Agent, "Agent1 here, from Acme.")
    );
    let fx = w.release(a1.id, c);
    assert_eq!(sent(&fx)[0].2, "Acme Assistant (bot) again.");
    w.customer("v", "agent");
    let v = w.id("v");
    w.accept(a1.id, v);
    let fx = w.transfer(a1.id, v, TransferTo::Skills(vec!["retention".into()]), None);
    assert_eq!(sent(&fx)[0].2, "Over to a colleague (#1).");
}

#[test]
fn an_agent_message_longer_than_the_channels_take_is_refused_whole() {
    let mut w = World::new();
    let (a, c) = w.held("u", 0);
    let longest = "é".repeat(crate::rules::limits::TEXT_MAX);
    let too_long = format!("{longest}!");
    let fx = w.send(a.id, c, &too_long);
    assert_eq!(refused(&fx), [Refusal::TooLong]);
    assert!(sent(&fx).is_empty());
    let fx = w.send(a.id, c, &longest);
    assert!(refused(&fx).is_empty());
    assert_eq!(sent(&fx).len(), 1);
}
