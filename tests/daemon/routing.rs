//! Routing as agents feel it over real sockets: two free agents share new conversations (an
//! open offer weighs like a held one), and an agent that goes away, by choice or because its
//! offers lapsed, keeps no offer open: each goes at once to the next fit agent.

use crate::support::agent::*;
use crate::support::*;
use serde_json::{json, Value};

/// The next frame, which must be an offer; the conversation offered.
async fn offered(ws: &mut Ws) -> String {
    let f = next(ws).await;
    assert_eq!(f["type"], "offer", "{f}");
    f["conversation"]["id"].as_str().unwrap().to_owned()
}

/// The next frame, which must withdraw `conv`'s offer for `why`.
async fn withdrawn(ws: &mut Ws, conv: &str, why: &str) {
    let f = next(ws).await;
    let got = (
        f["type"].as_str(),
        f["conversation_id"].as_str(),
        f["why"].as_str(),
    );
    assert_eq!(got, (Some("offer_withdrawn"), Some(conv), Some(why)), "{f}");
}

/// An agent with this capacity, signed in, available, and known to be so by the engine (the
/// barrier's answer comes after the presence change is through).
async fn ready(d: &Daemon, name: &str, capacity: u32) -> Ws {
    let mut ws = online(d, name, &[], capacity).await;
    assert_nothing_pending(&mut ws).await;
    ws
}

async fn away(ws: &mut Ws) {
    send(ws, json!({"type": "presence", "status": "away"})).await;
}

fn is_presence_away(f: &Value) -> bool {
    f["type"] == "presence" && f["status"] == "away"
}

#[tokio::test]
async fn two_available_agents_are_offered_one_new_conversation_each() {
    let (_dir, _sink, d) = fresh().await;
    let mut first = ready(&d, "Alissa", 2).await;
    let mut second = ready(&d, "Bruno", 2).await;
    d.dm("r1", "u1", "agent").await;
    d.dm("r2", "u2", "agent").await;
    // The first signed in has been idle longer: the first conversation is hers; with it open,
    // she is busier than Bruno, who gets the second.
    let one = offered(&mut first).await;
    assert_nothing_pending(&mut first).await;
    let two = offered(&mut second).await;
    assert_ne!(one, two);
    assert_nothing_pending(&mut second).await;
}

#[tokio::test]
async fn an_agent_going_away_hands_its_open_offer_to_the_next_fit_agent() {
    let (_dir, _sink, d) = fresh().await;
    let mut first = ready(&d, "Alissa", 1).await;
    d.dm("r1", "u1", "agent").await;
    let conv = offered(&mut first).await;
    let mut second = ready(&d, "Bruno", 1).await;
    away(&mut first).await;
    // Taken back at once, not when it would have lapsed.
    withdrawn(&mut first, &conv, "agent_gone").await;
    assert_eq!(offered(&mut second).await, conv);
    assert_nothing_pending(&mut first).await;
}

#[tokio::test]
async fn an_agent_set_away_for_lapses_keeps_no_offer_open() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    // Long enough that the three offers are all out before the first lapses, even on a
    // loaded machine (at 300 ms the first could lapse before the third was offered).
    let accounts = with_timeouts(dir.path(), "offer = \"1s\"");
    let d = Daemon::start_accounts(dir.path(), &sink.url, &accounts).await;
    let mut first = ready(&d, "Alissa", 3).await;
    for (event, customer) in [("r1", "u1"), ("r2", "u2"), ("r3", "u3")] {
        d.dm(event, customer, "agent").await;
    }
    let convs = [
        offered(&mut first).await,
        offered(&mut first).await,
        offered(&mut first).await,
    ];
    // The first lapses; nobody else is free, so it comes back to her.
    withdrawn(&mut first, &convs[0], "timeout").await;
    assert_eq!(offered(&mut first).await, convs[0]);
    // The second lapses: two in a row, she is set away, and the offers she still has open are
    // withdrawn then and there, rather than each lapsing in turn.
    withdrawn(&mut first, &convs[1], "timeout").await;
    let f = next(&mut first).await;
    assert!(is_presence_away(&f), "{f}");
    withdrawn(&mut first, &convs[0], "agent_gone").await;
    withdrawn(&mut first, &convs[2], "agent_gone").await;
    // All three wait in line at their places, and the next agent in gets the front one.
    let line = d.queue().await;
    let customers: Vec<&str> = line.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(customers, ["u1", "u2", "u3"]);
    let mut second = online(&d, "Bruno", &[], 1).await;
    assert_eq!(offered(&mut second).await, convs[0]);
    assert_nothing_pending(&mut first).await;
}
