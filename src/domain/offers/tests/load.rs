//! Who is offered what as agents come, go away and let offers lapse: an open offer weighs on
//! its agent like a held conversation, and an agent going away (by choice or by lapses) gives
//! its open offers back at once, to the next fit agent, at their place in line.

use crate::domain::testkit::*;
use crate::domain::*;

/// One step of a scenario.
#[derive(Debug, Clone, Copy)]
enum Do {
    /// Agent `n`, of this capacity, is available.
    On(u64, u32),
    /// Agent `n` sets itself away.
    Away(u64),
    /// The customer asks for a person.
    Ask(&'static str),
    /// The offer of the customer's conversation lapses.
    Lapse(&'static str),
}

/// A scenario: its steps; then each customer's conversation offered to agent `n` (`None`: in
/// line), the line front first, and every offer withdrawn on the way (agent, customer, why).
struct Case {
    name: &'static str,
    steps: &'static [Do],
    offered: &'static [(&'static str, Option<u64>)],
    line: &'static [&'static str],
    withdrawn: &'static [(u64, &'static str, Withdrawn)],
}

use Do::*;

const CASES: &[Case] = &[
    Case {
        name: "two free agents split two new conversations",
        steps: &[On(1, 2), On(2, 2), Ask("x"), Ask("y")],
        offered: &[("x", Some(1)), ("y", Some(2))],
        line: &[],
        withdrawn: &[],
    },
    Case {
        name: "three free agents, three conversations, one each",
        steps: &[On(1, 3), On(2, 3), On(3, 3), Ask("x"), Ask("y"), Ask("z")],
        offered: &[("x", Some(1)), ("y", Some(2)), ("z", Some(3))],
        line: &[],
        withdrawn: &[],
    },
    Case {
        name: "an agent with two offers open is busier than one with none",
        steps: &[On(1, 3), Ask("x"), Ask("y"), On(2, 3), Ask("z")],
        offered: &[("x", Some(1)), ("y", Some(1)), ("z", Some(2))],
        line: &[],
        withdrawn: &[],
    },
    Case {
        name: "going away hands an open offer to the next fit agent",
        steps: &[On(1, 1), Ask("x"), On(2, 1), Away(1)],
        offered: &[("x", Some(2))],
        line: &[],
        withdrawn: &[(1, "x", Withdrawn::AgentGone)],
    },
    Case {
        name: "offers given back by an agent going away keep their place in line",
        steps: &[On(1, 2), Ask("x"), Ask("y"), Ask("z"), Away(1), On(2, 1)],
        offered: &[("x", Some(2)), ("y", None), ("z", None)],
        line: &["y", "z"],
        withdrawn: &[
            (1, "x", Withdrawn::AgentGone),
            (1, "y", Withdrawn::AgentGone),
        ],
    },
    Case {
        name: "set away for lapses, an agent keeps no offer open",
        steps: &[
            On(1, 3),
            Ask("x"),
            Ask("y"),
            Ask("z"),
            On(2, 1),
            Lapse("x"),
            Lapse("y"),
        ],
        offered: &[("x", Some(2)), ("y", None), ("z", None)],
        line: &["y", "z"],
        withdrawn: &[
            (1, "x", Withdrawn::Timeout),
            (1, "y", Withdrawn::Timeout),
            (1, "z", Withdrawn::AgentGone),
        ],
    },
];

#[test]
fn open_offers_weigh_on_their_agent_and_going_away_gives_them_back() {
    for case in CASES {
        let mut w = World::new();
        let mut agents = Vec::new();
        let mut withdrawn = Vec::new();
        for step in case.steps {
            let fx = match *step {
                On(n, capacity) => {
                    let a = agent(n, &[], capacity);
                    agents.push(a.clone());
                    w.seen(&a, Some(Presence::Available))
                }
                Away(n) => {
                    let a = agents.iter().find(|a| a.id.0 == n).cloned();
                    let a = a.unwrap_or_else(|| panic!("{}: no agent {n}", case.name));
                    w.seen(&a, Some(Presence::Away))
                }
                Ask(who) => w.customer(who, "agent"),
                Lapse(who) => {
                    let id = w.id(who);
                    w.fire(Timer::Conversation(id))
                }
            };
            withdrawn.extend(fx.iter().filter_map(|e| match e {
                Effect::Notify {
                    agent,
                    event: AgentEvent::OfferWithdrawn { conversation, why },
                } => Some((agent.0, *conversation, *why)),
                _ => None,
            }));
        }
        for &(who, want) in case.offered {
            let got = match w.conv(who).state {
                State::Offered { agent, .. } => Some(agent.0),
                State::Queued(_) => None,
                ref other => panic!("{}: {who} is {}", case.name, other.name()),
            };
            assert_eq!(got, want, "{}: who is offered {who}", case.name);
        }
        let acme = AccountId::from("acme");
        let line: Vec<ConversationId> = w
            .desk
            .queue(&acme)
            .map_or_else(Vec::new, |q| q.iter().collect());
        let want: Vec<ConversationId> = case.line.iter().map(|who| w.id(who)).collect();
        assert_eq!(line, want, "{}: the line", case.name);
        let want: Vec<(u64, ConversationId, Withdrawn)> = case
            .withdrawn
            .iter()
            .map(|&(n, who, why)| (n, w.id(who), why))
            .collect();
        assert_eq!(withdrawn, want, "{}: offers withdrawn", case.name);
    }
}
