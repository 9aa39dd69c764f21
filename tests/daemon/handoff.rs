//! The live handoff over real sockets: a DM escalates, an available agent is offered it with
//! the transcript, accepts, and from then on the customer sees the agent's Custom Profile; the
//! agent hands back and the bot's profile returns.

use crate::support::agent::*;
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn escalate_offer_accept_talk_release_with_the_profile_switching_each_way() {
    let (_dir, mut sink, d) = fresh().await;
    let token = agent_with_token(&d).await;
    let mut agent = sign_in(&d, &token).await;

    // The customer asks for a person: queued, and offered to the available agent.
    d.dm("h1", "u1", "I want a real person").await;
    for _ in 0..3 {
        assert_eq!(sink.next().await["profile"]["id"], "bot-1");
    }
    let offer = next(&mut agent).await;
    assert_eq!(offer["type"], "offer", "{offer}");
    let conv = offer["conversation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(offer["conversation"]["reason"], "customer_request");
    let transcript = offer["conversation"]["transcript"].as_array().unwrap();
    assert_eq!(transcript[0]["text"], "I want a real person");
    assert!(
        transcript.len() >= 3,
        "the agent sees what the bot said too: {offer}"
    );

    // The decision is kept with the conversation, for the admin API.
    let (_, view) = d.admin(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(
        view["conversation"]["routing"][0]["offered_to"], "a0",
        "{view}"
    );
    accept(&mut agent, &conv).await;
    let hello = sink.next().await;
    assert_eq!(
        (hello["sender"].as_str(), hello["profile"]["id"].as_str()),
        (Some("agent"), Some("acme-a0"))
    );
    assert_eq!(
        hello["text"],
        "Hi, I'm Alissa, a person on the Acme Mobile team. I've read our conversation so far."
    );

    // Live: the customer's words reach the agent; the bot stays silent.
    d.dm("h2", "u1", "my bill is wrong, where is my order?")
        .await;
    let m = next(&mut agent).await;
    assert_eq!(
        (m["type"].as_str(), m["message"]["text"].as_str()),
        (
            Some("message"),
            Some("my bill is wrong, where is my order?")
        )
    );

    // The agent's answer is the next thing the customer gets: a bot reply to h2 would have
    // gone out first (a conversation's messages go out in order).
    send(&mut agent, json!({"type": "send", "conversation_id": conv, "text": "Checking now.", "client_id": "k1"})).await;
    let sent = next(&mut agent).await;
    assert_eq!(
        (sent["type"].as_str(), sent["client_id"].as_str()),
        (Some("sent"), Some("k1"))
    );
    let out = sink.next().await;
    assert_eq!(
        (out["text"].as_str(), out["profile"]["name"].as_str()),
        (Some("Checking now."), Some("Alissa, Acme"))
    );
    assert_eq!(out["id"], sent["message_id"]);

    // Hand back: the bot says so, signed as the bot, and answers again.
    act(&mut agent, "release", &conv).await;
    let closed = next(&mut agent).await;
    assert_eq!(
        (closed["type"].as_str(), closed["why"].as_str()),
        (Some("closed"), Some("released"))
    );
    let back = sink.next().await;
    assert_eq!(
        (back["sender"].as_str(), back["profile"]["id"].as_str()),
        (Some("bot"), Some("bot-1"))
    );
    d.dm("h3", "u1", "where is my order").await;
    assert_eq!(sink.next_text().await, TRACK);

    // Acting on it now is refused.
    send(
        &mut agent,
        json!({"type": "send", "conversation_id": conv, "text": "hello?", "client_id": "k2"}),
    )
    .await;
    assert_eq!(next(&mut agent).await["code"], "not_assigned");
    sink.assert_nothing_more_for(&d, "h4", "u1").await;
}

#[tokio::test]
async fn an_offer_not_taken_in_time_goes_back_and_the_agent_hears_why() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let accounts = with_timeouts(dir.path(), "offer = \"300ms\"");
    let d = Daemon::start_accounts(dir.path(), &sink.url, &accounts).await;
    let token = agent_with_token(&d).await;
    let mut agent = sign_in(&d, &token).await;
    d.dm("t1", "u1", "agent").await;
    assert_eq!(next(&mut agent).await["type"], "offer");
    let withdrawn = next(&mut agent).await;
    assert_eq!(
        (withdrawn["type"].as_str(), withdrawn["why"].as_str()),
        (Some("offer_withdrawn"), Some("timeout"))
    );
    // Nobody else is available, so it is offered again to the same agent.
    assert_eq!(next(&mut agent).await["type"], "offer");
}

/// Accounts config whose rules have a 300 ms disconnect grace.
fn short_grace(dir: &std::path::Path) -> String {
    with_timeouts(dir, "offer = \"30s\"\nagent_disconnect_grace = \"300ms\"")
}

#[tokio::test]
async fn when_an_agent_vanishes_its_customer_is_told_and_offered_to_the_next_agent() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let d = Daemon::start_accounts(dir.path(), &sink.url, &short_grace(dir.path())).await;
    let first = agent_with_token(&d).await;
    // A colleague like her; profile names are unique per account.
    let second = add_agent(&d, "Alina", &["billing"], 2).await;

    let mut a = sign_in(&d, &first).await;
    let conv = take(&d, &mut a, "g1", "u1").await;
    sink.skip(4).await; // greeting, reply, queued, the agent's hello
    drop(a); // the agent's connection dies

    let mut b = sign_in(&d, &second).await;
    let told = sink.next().await;
    assert_eq!(
        (told["sender"].as_str(), told["profile"]["id"].as_str()),
        (Some("bot"), Some("bot-1"))
    );
    assert!(
        told["text"].as_str().unwrap().contains("disconnected"),
        "{told}"
    );
    let offer = next(&mut b).await;
    assert_eq!(
        (offer["type"].as_str(), offer["conversation"]["id"].as_str()),
        (Some("offer"), Some(conv.as_str()))
    );
    assert_eq!(offer["conversation"]["reason"], "agent_gone");
}

#[tokio::test]
async fn after_a_restart_a_held_conversation_is_not_left_with_an_absent_agent() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let accounts = short_grace(dir.path());
    let mut d = Daemon::start_accounts(dir.path(), &sink.url, &accounts).await;
    let token = agent_with_token(&d).await;
    let mut a = sign_in(&d, &token).await;
    take(&d, &mut a, "r1", "u1").await;
    sink.skip(4).await;
    d.stop().await;

    let d = Daemon::start_accounts(dir.path(), &sink.url, &accounts).await;
    let told = sink.next().await;
    assert!(
        told["text"].as_str().unwrap().contains("disconnected"),
        "{told}"
    );
    d.assert_queue(&[("u1", "agent_gone")]).await;
}

#[tokio::test]
async fn an_agent_transfers_to_a_colleague_who_takes_over_with_their_own_profile() {
    let (_dir, mut sink, d) = fresh().await;
    let first = agent_with_token(&d).await;
    let second = add_agent(&d, "Alina", &["billing"], 2).await;
    let mut a = sign_in(&d, &first).await;
    let conv = take(&d, &mut a, "x1", "u1").await;
    let (mut b, welcome) = authenticate(&d, &second, None).await;
    let b_id = welcome["agent"]["id"].as_str().unwrap().to_owned();
    available(&mut b).await;

    act(&mut a, "transfer", &conv).await;
    assert_eq!(next(&mut a).await["code"], "invalid_frame");
    send(&mut a, json!({"type": "transfer", "conversation_id": conv, "agent_id": b_id, "note": "wants a refund"})).await;
    let gone = next(&mut a).await;
    assert_eq!(
        (gone["type"].as_str(), gone["why"].as_str()),
        (Some("closed"), Some("transferred"))
    );
    let offer = next(&mut b).await;
    assert_eq!(
        (
            offer["type"].as_str(),
            offer["conversation"]["note"].as_str()
        ),
        (Some("offer"), Some("wants a refund"))
    );
    accept(&mut b, &conv).await;
    sink.skip(4).await; // greeting, reply, queued, the first agent's hello
    let hello = sink.next().await;
    assert_eq!(
        hello["profile"]["id"].as_str(),
        Some(format!("acme-{b_id}").as_str())
    );
}

#[tokio::test]
async fn events_missed_while_disconnected_are_replayed_once_and_survive_a_restart() {
    let (dir, sink, mut d) = fresh().await;
    let token = agent_with_token(&d).await;
    let mut a = sign_in(&d, &token).await;
    d.dm("s1", "u1", "agent").await;
    let offer = next(&mut a).await;
    assert_eq!(
        (offer["type"].as_str(), offer["seq"].as_u64()),
        (Some("offer"), Some(1))
    );
    // Gone without acknowledging: the offer is withdrawn (event 2, sent to nobody).
    drop(a);
    let (daemon, conv) = (&d, offer["conversation"]["id"].as_str().unwrap());
    eventually(
        "the offer is withdrawn once its agent is gone",
        || async move { (daemon.state(conv).await == "queued").then_some(()) },
    )
    .await;
    d.stop().await;

    let d = Daemon::start(dir.path(), &sink.url).await;
    let (mut a, _) = authenticate(&d, &token, Some(0)).await;
    let replayed = [next(&mut a).await, next(&mut a).await];
    let got: Vec<(&str, u64)> = replayed
        .iter()
        .map(|f| (f["type"].as_str().unwrap(), f["seq"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, [("offer", 1), ("offer_withdrawn", 2)]);
    assert_nothing_pending(&mut a).await;
    send(&mut a, json!({"type": "ack", "seq": 2})).await;
    // The engine answers this socket's frames in order: past the barrier, the ack is taken.
    assert_nothing_pending(&mut a).await;
    drop(a);

    // Acknowledged: a reconnect replays nothing; new events go on from 3.
    let (mut a, _) = authenticate(&d, &token, Some(1)).await;
    assert_nothing_pending(&mut a).await;
    available(&mut a).await;
    let again = next(&mut a).await;
    assert_eq!(
        (again["type"].as_str(), again["seq"].as_u64()),
        (Some("offer"), Some(3))
    );
}

#[tokio::test]
async fn skills_and_capacity_route_between_several_agents_and_nobody_acts_on_anothers() {
    let (_dir, _sink, d) = fresh().await;
    let mut general = online(&d, "Gen", &[], 1).await;
    let mut retention = online(&d, "Ret", &["retention"], 1).await;

    // "unacceptable" needs retention: only Ret is offered it, whoever is idler.
    d.dm("k1", "angry", "this is unacceptable").await;
    let offer = next(&mut retention).await;
    assert_eq!(
        (
            offer["type"].as_str(),
            offer["conversation"]["skills"][0].as_str()
        ),
        (Some("offer"), Some("retention"))
    );
    let angry = offer["conversation"]["id"].as_str().unwrap().to_owned();
    // Gen may not touch it.
    act(&mut general, "accept", &angry).await;
    assert_eq!(next(&mut general).await["code"], "not_offered");
    accept(&mut retention, &angry).await;
    send(
        &mut general,
        json!({"type": "send", "conversation_id": angry, "text": "hi", "client_id": "x"}),
    )
    .await;
    assert_eq!(next(&mut general).await["code"], "not_assigned");

    // Capacity 1 each: the first plain request goes to Gen, the second waits in line.
    d.dm("k2", "p1", "agent").await;
    let first = next(&mut general).await;
    assert_eq!(first["type"], "offer");
    d.dm("k3", "p2", "agent").await;
    let (_, q) = d.admin("/v1/queue/acme").await;
    assert_eq!(q["entries"].as_array().unwrap().len(), 1, "{q}");
    // Gen declines; with Ret full, Gen is asked again (the only fit agent).
    let c1 = first["conversation"]["id"].as_str().unwrap().to_owned();
    act(&mut general, "decline", &c1).await;
    assert_eq!(next(&mut general).await["type"], "offer_withdrawn");
    assert_eq!(next(&mut general).await["type"], "offer");
    // Ret resolves its conversation: capacity frees, and the waiting one is offered to Ret.
    act(&mut retention, "resolve", &angry).await;
    assert_eq!(next(&mut retention).await["type"], "closed");
    let next_offer = next(&mut retention).await;
    assert_eq!(next_offer["type"], "offer", "{next_offer}");
}

#[tokio::test]
async fn a_lapsed_offer_goes_to_the_next_fit_agent() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let accounts = with_timeouts(dir.path(), "offer = \"300ms\"");
    let d = Daemon::start_accounts(dir.path(), &sink.url, &accounts).await;
    let mut slow = online(&d, "Slow", &[], 1).await;
    d.dm("l1", "u1", "agent").await;
    let offer = next(&mut slow).await;
    let conv = offer["conversation"]["id"].clone();
    let mut quick = online(&d, "Quick", &[], 1).await;
    let withdrawn = next(&mut slow).await;
    assert_eq!(
        (withdrawn["type"].as_str(), withdrawn["why"].as_str()),
        (Some("offer_withdrawn"), Some("timeout"))
    );
    let moved = next(&mut quick).await;
    assert_eq!(
        (moved["type"].as_str(), &moved["conversation"]["id"]),
        (Some("offer"), &conv)
    );
}

/// A client that lost everything (a reloaded console) gets each held conversation back whole in
/// the welcome, without replaying events it had acknowledged.
#[tokio::test]
async fn a_new_connection_is_welcomed_with_each_held_conversation_and_its_transcript() {
    let (_dir, _sink, d) = fresh().await;
    let token = add_agent(&d, "Sam", &[], 2).await;
    let mut first = sign_in(&d, &token).await;
    let conv = take(&d, &mut first, "h1", "u-held").await;
    // The offer and the assignment were events 1 and 2: acknowledged, so never replayed.
    send(&mut first, json!({"type": "ack", "seq": 2})).await;
    assert_nothing_pending(&mut first).await;

    let (_second, welcome) = authenticate(&d, &token, None).await;
    assert_eq!(welcome["conversations"], json!([conv]), "{welcome}");
    let held = &welcome["held"][0];
    assert_eq!(held["id"], conv.as_str(), "{welcome}");
    assert_eq!(held["customer"]["id"], "u-held");
    let texts: Vec<&str> = held["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["from"].as_str().unwrap())
        .collect();
    assert_eq!(texts.first(), Some(&"customer"), "{held}");
    assert_eq!(texts.last(), Some(&"agent"), "the announcement: {held}");
}
