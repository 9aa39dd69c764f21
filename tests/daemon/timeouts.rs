//! Every timeout against a real daemon with tokio's clock paused: the test lets virtual time
//! pass and checks what the customer (the fake platform) and the agents (WebSocket) hear, and
//! that deadlines survive a restart and fire once, in order.

use crate::support::agent::{next, online, send, take, Ws};
use crate::support::*;
use serde_json::{json, Value};
use std::time::Duration;

const MIN: Duration = Duration::from_secs(60);

/// Replaces the fixture's `[timeouts]` (and adds a `[waiting]` whose texts are easy to check).
const TIMEOUTS: &str = r#"bot_unresolved = "10m"
queue_update = "2m"
queue_max_wait = "5m"
offer = "30s"
agent_first_reply = "3m"
customer_idle = "20m"
agent_disconnect_grace = "1m"

[waiting]
update = "update #{queue.position}: {queue.wait}"
unknown_wait = "update #{queue.position}"
apology = "sorry"
after_hours = "closed; open {hours}"
keep_waiting = "kept #{queue.position}"
leave_message = "write it"
message_taken = "got it"
handed_back = "idle, {agent.name} gone"
requeued = "{agent.name} silent, #{queue.position}"
"#;

async fn daemon(dir: &std::path::Path, sink: &FakeSink) -> Daemon {
    Daemon::start_accounts(dir, &sink.url, &with_timeouts(dir, TIMEOUTS)).await
}

async fn pass(d: Duration) {
    tokio::time::sleep(d).await;
}

impl Daemon {
    /// The customer taps a quick reply.
    async fn tap(&self, id: &str, customer: &str, payload: &str) {
        let body = json!({"id": id, "account": "acme", "customer": {"id": customer},
                          "text": "", "payload": payload});
        let (status, v) = self.post_raw(body.to_string().into_bytes(), &[]).await;
        assert_eq!(status, 200, "{v}");
    }
}

/// Sam has accepted u1's request (event `event`) and said hello; the sink has read it all.
async fn talking(d: &Daemon, sink: &mut FakeSink, event: &str) -> (Ws, String) {
    let mut sam = online(d, "Sam", &[], 1).await;
    let conv = take(d, &mut sam, event, "u1").await;
    let hello = json!({"type": "send", "conversation_id": conv, "text": "Hi!", "client_id": "m1"});
    send(&mut sam, hello).await;
    sink.skip(5).await; // greeting, reply, queued, the announcement, "Hi!"
    (sam, conv)
}

/// The next agent frame, acknowledged so it is not replayed.
async fn frame(ws: &mut Ws) -> Value {
    let f = next(ws).await;
    if let Some(seq) = f["seq"].as_u64() {
        send(ws, json!({"type": "ack", "seq": seq})).await;
    }
    f
}

#[tokio::test(start_paused = true)]
async fn bot_unresolved_escalates_a_customer_the_bot_has_not_helped() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let d = daemon(dir.path(), &sink).await;
    d.dm("e1", "u1", "hello").await;
    sink.next().await; // the greeting
    pass(10 * MIN - Duration::from_secs(1)).await;
    sink.assert_quiet().await;
    pass(Duration::from_secs(1)).await;
    let m = sink.next().await;
    assert_eq!(
        m["text"],
        "A person will be with you soon. You are number 1 in line."
    );
    assert_eq!(m["profile"]["id"], "bot-1");
    d.assert_queue(&[("u1", "bot_timeout")]).await;
}

#[tokio::test(start_paused = true)]
async fn a_queued_customer_hears_updates_then_the_choice_and_can_leave_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let d = daemon(dir.path(), &sink).await;
    d.dm("q1", "u1", "agent").await;
    sink.skip(3).await; // greeting, reply, queued
    pass(2 * MIN).await;
    assert_eq!(sink.next_text().await, "update #1");
    pass(2 * MIN).await;
    assert_eq!(sink.next_text().await, "update #1");
    pass(MIN).await;
    let m = sink.next().await;
    assert_eq!(m["text"], "sorry");
    let payloads: Vec<&str> = m["quick_replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["payload"].as_str().unwrap())
        .collect();
    assert_eq!(payloads, ["baton:keep-waiting", "baton:leave-message"]);

    d.tap("q2", "u1", "baton:keep-waiting").await;
    assert_eq!(sink.next_text().await, "kept #1");
    d.tap("q3", "u1", "baton:leave-message").await;
    assert_eq!(sink.next_text().await, "write it");
    let (_, q) = d.admin("/v1/queue/acme").await;
    assert_eq!(q["entries"], json!([]));
    assert_eq!(q["follow_ups"][0]["customer"], "u1", "{q}");
    d.dm("q4", "u1", "My router keeps dropping.").await;
    assert_eq!(sink.next_text().await, "got it");
    let (_, q) = d.admin("/v1/queue/acme").await;
    assert!(q["follow_ups"][0]["message"].is_string(), "{q}");
    // Parked: nothing more comes, however long it waits.
    pass(60 * MIN).await;
    sink.assert_quiet().await;
}

#[tokio::test(start_paused = true)]
async fn outside_business_hours_the_customer_hears_the_hours_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    // A one-hour window half a day away from now (UTC): closed whenever the test runs.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let open = ((secs / 3600 + 12) % 24).min(22);
    let accounts = format!(
        "{}\n[accounts.acme.hours]\nzone = \"UTC\"\ndays = [\"mon-sun\"]\nopen = \"{open:02}:00\"\nclose = \"{:02}:00\"\n",
        with_timeouts(dir.path(), TIMEOUTS),
        open + 1
    );
    let d = Daemon::start_accounts(dir.path(), &sink.url, &accounts).await;
    d.dm("h1", "u1", "agent").await;
    sink.skip(3).await;
    let m = sink.next().await;
    assert_eq!(
        m["text"],
        format!("closed; open Mon–Sun {open:02}:00–{:02}:00 (UTC)", open + 1)
    );
    assert_eq!(m["quick_replies"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(start_paused = true)]
async fn an_offer_not_accepted_in_time_goes_to_the_next_agent() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let d = daemon(dir.path(), &sink).await;
    let mut first = online(&d, "Ann", &[], 1).await;
    let mut second = online(&d, "Bo", &[], 1).await;
    d.dm("o1", "u1", "agent").await;
    let offer = frame(&mut first).await;
    assert_eq!(offer["type"], "offer", "{offer}");
    pass(Duration::from_secs(30)).await;
    let gone = frame(&mut first).await;
    assert_eq!(
        (gone["type"].as_str(), gone["why"].as_str()),
        (Some("offer_withdrawn"), Some("timeout"))
    );
    let offer = frame(&mut second).await;
    assert_eq!(offer["type"], "offer", "{offer}");
}

#[tokio::test(start_paused = true)]
async fn an_agent_who_does_not_write_is_reminded_then_loses_the_conversation() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let d = daemon(dir.path(), &sink).await;
    let mut sam = online(&d, "Sam", &[], 1).await;
    let conv = take(&d, &mut sam, "f1", "u1").await;
    sink.skip(4).await; // greeting, reply, queued, the announcement
    pass(3 * MIN).await;
    let r = frame(&mut sam).await;
    assert_eq!(
        (r["type"].as_str(), r["conversation_id"].as_str()),
        (Some("reminder"), Some(conv.as_str())),
        "{r}"
    );
    sink.assert_quiet().await;
    pass(3 * MIN).await;
    let closed = frame(&mut sam).await;
    assert_eq!(closed["why"], "no_first_reply", "{closed}");
    let m = sink.next().await;
    assert_eq!(
        (m["text"].as_str(), m["profile"]["id"].as_str()),
        (Some("Sam silent, #1"), Some("bot-1"))
    );
    let (_, c) = d.admin(&format!("/v1/conversations/{conv}")).await;
    assert_eq!(
        c["conversation"]["ticket"]["reason"], "no_first_reply",
        "{c}"
    );
    assert_eq!(c["conversation"]["ticket"]["priority"], 1, "{c}");
}

#[tokio::test(start_paused = true)]
async fn a_silent_customer_goes_back_to_the_bot_and_the_agent_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let d = daemon(dir.path(), &sink).await;
    let (mut sam, _) = talking(&d, &mut sink, "i1").await;
    pass(20 * MIN).await;
    let m = sink.next().await;
    assert_eq!(
        (m["text"].as_str(), m["profile"]["id"].as_str()),
        (Some("idle, Sam gone"), Some("bot-1"))
    );
    loop {
        let f = frame(&mut sam).await;
        if f["type"] == "closed" {
            assert_eq!(f["why"], "customer_idle");
            break;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_vanished_agents_customer_goes_back_in_line_after_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let d = daemon(dir.path(), &sink).await;
    let (sam, _) = talking(&d, &mut sink, "g1").await;
    drop(sam);
    pass(MIN - Duration::from_secs(1)).await;
    sink.assert_quiet().await;
    pass(Duration::from_secs(1)).await;
    assert!(sink.next_text().await.contains("disconnected"));
    d.assert_queue(&[("u1", "agent_gone")]).await;
}

#[tokio::test(start_paused = true)]
async fn deadlines_that_pass_while_stopped_fire_once_at_start_up_in_deadline_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let clock = baton::clock::Clock::system();
    let accounts = with_timeouts(dir.path(), TIMEOUTS);
    let mut d = Daemon::start_clocked(dir.path(), &sink.url, &accounts, clock).await;
    // u1 opens first, but its bot timeout is set later: it closes and comes back.
    d.dm("r1", "u1", "hello").await;
    d.dm("r2", "u1", "thanks").await;
    pass(MIN).await;
    d.dm("r3", "u2", "hello").await; // due at 11 min
    pass(MIN).await;
    d.dm("r4", "u1", "hello again").await; // due at 12 min
    sink.skip(4).await;
    d.stop().await;

    pass(60 * MIN).await;
    let d = Daemon::start_clocked(dir.path(), &sink.url, &accounts, clock).await;
    // u2 is escalated first, so it is first in line and told so; then u1.
    let mut told = vec![sink.next().await, sink.next().await];
    told.sort_by_key(|m| m["recipient"].as_str().unwrap_or_default().to_owned());
    let texts: Vec<&str> = told.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            "A person will be with you soon. You are number 2 in line.",
            "A person will be with you soon. You are number 1 in line."
        ],
        "{told:?}"
    );
    d.assert_queue(&[("u2", "bot_timeout"), ("u1", "bot_timeout")])
        .await;
    sink.assert_quiet().await;
    let (_, stats) = d.admin("/v1/stats").await;
    assert_eq!(stats["scheduler"]["fired"], 2, "{stats}");
    // Fired once: another restart finds nothing overdue.
    let mut d = d;
    d.stop().await;
    let d = Daemon::start_clocked(dir.path(), &sink.url, &accounts, clock).await;
    sink.assert_quiet().await;
    let (_, stats) = d.admin("/v1/stats").await;
    assert_eq!(stats["scheduler"]["fired"], 0, "{stats}");
}

#[tokio::test(start_paused = true)]
async fn an_agents_grace_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let clock = baton::clock::Clock::system();
    let accounts = with_timeouts(dir.path(), TIMEOUTS);
    let mut d = Daemon::start_clocked(dir.path(), &sink.url, &accounts, clock).await;
    let (sam, _) = talking(&d, &mut sink, "s1").await;
    drop(sam);
    pass(Duration::from_secs(10)).await; // the grace is running
    d.stop().await;
    pass(2 * MIN).await;
    // Restarted well after the grace ended: it fires at once, not a whole grace later.
    let d = Daemon::start_clocked(dir.path(), &sink.url, &accounts, clock).await;
    assert!(sink.next_text().await.contains("disconnected"));
    d.assert_queue(&[("u1", "agent_gone")]).await;
    let (_, stats) = d.admin("/v1/stats").await;
    assert!(
        stats["scheduler"]["late_max_ms"].as_u64() > Some(60_000),
        "{stats}"
    );
}
