//! Answers from outside Baton, state by state: what the conversation becomes, that the answer
//! is kept (and shown to the agent holding it), that the bot stays silent and nothing
//! escalates, and how it comes back to the bot.

use crate::domain::testkit::*;
use crate::domain::*;

const IDLE: u64 = 20 * 60_000;

fn withdrawn(fx: &[Effect]) -> Vec<(AgentId, Withdrawn)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Notify {
                agent,
                event: AgentEvent::OfferWithdrawn { why, .. },
            } => Some((*agent, *why)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_answer_from_outside_in_each_state() {
    // (name, how the conversation gets there, state after, an offer withdrawn from agent 0)
    type Setup = fn(&mut World);
    let rows: [(&str, Setup, &str, bool); 6] = [
        ("unknown customer", |_| {}, "bot", false),
        (
            "with the bot",
            |w| drop(w.customer("u", "hello")),
            "bot",
            false,
        ),
        ("queued", |w| drop(w.customer("u", "agent")), "bot", false),
        (
            "offered",
            |w| {
                w.customer("u", "agent");
                w.seen(&agent(0, &[], 1), Some(Presence::Available));
            },
            "bot",
            true,
        ),
        (
            "with an agent",
            |w| drop(w.held("u", 0)),
            "with_agent",
            false,
        ),
        (
            "closed",
            |w| {
                let (a, c) = w.held("u", 0);
                w.resolve(a.id, c);
            },
            "bot",
            false,
        ),
    ];
    for (name, setup, after, withdrawn_from_0) in rows {
        let mut w = World::new();
        setup(&mut w);
        let epoch = w.desk.conversations().next().map_or(0, |c| c.epoch);
        let fx = w.outside("u");
        assert!(sent(&fx).is_empty(), "{name}: the bot said something");
        assert_eq!(w.state("u"), after, "{name}");
        let outside = w.conv("u").taken_outside;
        assert_eq!(
            outside.map(|o| o.since.0),
            Some(w.now),
            "{name}: not marked"
        );
        let expect: Vec<(AgentId, Withdrawn)> = if withdrawn_from_0 {
            vec![(AgentId(0), Withdrawn::TakenOutside)]
        } else {
            vec![]
        };
        assert_eq!(withdrawn(&fx), expect, "{name}");
        // The answer is in the transcript, and the agent holding the conversation sees it.
        let recorded: Vec<(Author, &str)> = fx
            .iter()
            .filter_map(|e| match e {
                Effect::Record(m) => Some((m.from, m.text.as_str())),
                _ => None,
            })
            .collect();
        let answer = (Author::Outside, "Hi, Sam from Acme here.");
        assert_eq!(recorded, [answer], "{name}");
        let told: Vec<AgentId> = fx
            .iter()
            .filter_map(|e| match e {
                Effect::Notify {
                    agent,
                    event: AgentEvent::Message { message, .. },
                } if message.from == Author::Outside => Some(*agent),
                _ => None,
            })
            .collect();
        let holder = if after == "with_agent" {
            vec![AgentId(0)]
        } else {
            vec![]
        };
        assert_eq!(told, holder, "{name}");
        assert!(
            w.desk.queue(&w.account.id).is_none_or(|q| q.is_empty()),
            "{name}: still in line"
        );
        if after == "bot" {
            assert!(w.conv("u").epoch > epoch, "{name}: epoch not bumped");
            assert_eq!(w.conv("u").bot_since, None, "{name}");
        }
        // The only deadline: the customer's silence.
        assert_eq!(w.deadline("u"), Some(w.now + IDLE), "{name}");
    }
}

#[test]
fn the_bot_stays_silent_until_the_customer_is_idle_then_answers_again() {
    let mut w = World::new();
    w.customer("u", "hello");
    w.outside("u");
    let since = w.now;

    // Replies, fallbacks, escalations: none. The customer's messages push the idle time on.
    for text in ["order?", "gibberish", "gibberish", "gibberish", "agent"] {
        let fx = w.customer("u", text);
        assert!(sent(&fx).is_empty(), "{text}: the bot answered");
        assert_eq!(w.state("u"), "bot");
    }
    assert_eq!(w.conv("u").taken_outside.map(|o| o.since.0), Some(since));
    assert_eq!(w.deadline("u"), Some(w.now + IDLE));

    // Another answer from outside also counts as activity.
    w.advance(IDLE - 10);
    w.outside("u");
    assert_eq!(w.deadline("u"), Some(w.now + IDLE));
    assert!(w.conv("u").taken_outside.is_some());

    // Idle: the bot's again, silently; it answers the next message (greeted before).
    let epoch = w.conv("u").epoch;
    let fx = w.advance(IDLE);
    assert!(sent(&fx).is_empty());
    assert_eq!(w.conv("u").taken_outside, None);
    assert!(w.conv("u").epoch > epoch);
    assert_eq!(w.deadline("u"), None);
    let fx = w.customer("u", "order?");
    assert_eq!(texts(&fx), ["Track it online."]);
}

#[test]
fn a_held_conversation_answered_outside_stays_with_its_agent_until_let_go() {
    for let_go in ["release", "resolve", "idle"] {
        let mut w = World::new();
        let (a, c) = w.held("u", 0);
        w.outside("u");
        // The agent still hears the customer; the first-reply timers no longer run.
        let fx = w.customer("u", "still there?");
        assert!(sent(&fx).is_empty());
        assert_eq!(told(&fx, 0).len(), 1, "{let_go}");
        assert_eq!(w.deadline("u"), Some(w.now + IDLE), "{let_go}");
        match let_go {
            "release" => drop(w.release(a.id, c)),
            "resolve" => drop(w.resolve(a.id, c)),
            _ => drop(w.advance(IDLE)),
        }
        assert_eq!(w.conv("u").taken_outside, None, "{let_go}");
        assert_ne!(w.state("u"), "with_agent", "{let_go}");
        let fx = w.customer("u", "order?");
        assert!(
            texts(&fx).contains(&"Track it online.".to_owned()),
            "{let_go}"
        );
    }
}

#[test]
fn going_back_in_line_ends_the_answer_from_outside() {
    let mut w = World::new();
    let (a, c) = w.held("u", 0);
    w.outside("u");
    w.transfer(a.id, c, TransferTo::Skills(vec![]), None);
    assert!(matches!(w.state("u"), "queued" | "offered"));
    assert_eq!(w.conv("u").taken_outside, None);
}
