//! Memory follows open conversations: a closed one stays on disk after a restart, is answered
//! from there, and its customer who writes again continues it (same id, transcript whole).

mod fill;

use crate::support::*;
use serde_json::{json, Value};
use std::time::Instant;

const GREETING: &str = "Hi Jo! I'm an automated assistant.";

async fn stats(d: &Daemon) -> (u64, u64) {
    let (status, s) = d.admin("/v1/stats").await;
    assert_eq!(status, 200, "{s}");
    let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {s}"));
    (n("conversations"), n("resident"))
}

fn texts(conv: &Value) -> Vec<String> {
    conv["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_closed_conversation_stays_on_disk_and_its_customer_continues_it() {
    let (dir, mut sink, mut d) = fresh().await;
    assert_eq!(d.dm("h1", "alice", "hello").await.0, 200);
    assert_eq!(d.dm("h2", "alice", "bye").await.0, 200);
    assert_eq!(d.dm("h3", "bob", "hello").await.0, 200);
    sink.assert_texts(&[GREETING, "Glad to help. Bye!", GREETING])
        .await;
    assert_eq!(d.state("c0").await, "closed");
    assert_eq!(stats(&d).await, (2, 2), "both in memory until checkpointed");
    d.stop().await;

    let mut d = Daemon::start(dir.path(), &sink.url).await;
    // Alice's is at rest: counted, not loaded.
    assert_eq!(stats(&d).await, (2, 1));
    let (status, c0) = d.admin("/v1/conversations/c0").await;
    assert_eq!(status, 200, "{c0}");
    assert_eq!(c0["conversation"]["state"], "closed", "{c0}");
    assert_eq!(
        texts(&c0),
        ["hello", GREETING, "bye", "Glad to help. Bye!"],
        "answered from the store"
    );
    assert_eq!(stats(&d).await, (2, 1), "a read does not bring it back");
    let (status, _) = d.admin("/v1/conversations/c9").await;
    assert_eq!(status, 404);
    // An event taken in before the restart is still known.
    assert_eq!(d.dm("h2", "alice", "bye").await.1["status"], "duplicate");

    // Alice is back: the same conversation, a new episode, the transcript whole.
    assert_eq!(d.dm("h4", "alice", "hello again").await, (200, accepted()));
    sink.assert_texts(&[GREETING]).await;
    let (_, c0) = d.admin("/v1/conversations/c0").await;
    assert_eq!(c0["conversation"]["state"], "bot", "{c0}");
    assert_eq!(c0["conversation"]["episode"], 2, "{c0}");
    assert_eq!(
        texts(&c0),
        [
            "hello",
            GREETING,
            "bye",
            "Glad to help. Bye!",
            "hello again",
            GREETING
        ]
    );
    assert_eq!(stats(&d).await, (2, 2));
    // A new customer still gets a new id.
    assert_eq!(d.dm("h5", "carol", "hello").await.0, 200);
    sink.assert_texts(&[GREETING]).await;
    assert_eq!(d.state("c2").await, "bot");
    assert_eq!(stats(&d).await, (3, 3));
    d.stop().await;

    // Closed again and restarted: at rest once more, with everything it said.
    let mut d = Daemon::start(dir.path(), &sink.url).await;
    assert_eq!(d.dm("h6", "alice", "thanks").await.0, 200);
    sink.assert_texts(&["Glad to help. Bye!"]).await;
    d.stop().await;
    let mut d = Daemon::start(dir.path(), &sink.url).await;
    assert_eq!(stats(&d).await, (3, 2));
    let (_, c0) = d.admin("/v1/conversations/c0").await;
    assert_eq!(c0["conversation"]["state"], "closed", "{c0}");
    assert_eq!(texts(&c0).len(), 8, "{c0}");
    d.stop().await;
}

/// The test's size: the full 1,000,000 runs in `benches/startup.rs`.
fn closed_count() -> u64 {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        100_000
    } else {
        200_000
    }
}

#[tokio::test]
async fn a_large_history_stays_on_disk_and_both_kinds_of_customer_are_served() {
    let closed = closed_count();
    let open = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let written = tokio::task::spawn_blocking({
        let data = data.clone();
        move || fill::write(&data, closed, open)
    });
    written.await.unwrap();
    let mut sink = FakeSink::start().await;
    let started = Instant::now();
    let mut d = Daemon::start(&data, &sink.url).await;
    let took = started.elapsed();
    assert_eq!(stats(&d).await, (closed + open, open), "only the open ones");

    // An open conversation continues where it was.
    let first_open = closed;
    let who = fill::customer(first_open, closed);
    assert_eq!(d.dm("b1", &who, "hello").await, (200, accepted()));
    sink.assert_texts(&["Sorry, I didn't catch that."]).await;
    let (_, c) = d.admin(&format!("/v1/conversations/c{first_open}")).await;
    assert_eq!(texts(&c)[..2], [fill::SAID, fill::ANSWERED], "{c}");
    assert_eq!(texts(&c).len(), 4, "{c}");

    // A closed customer comes back to their conversation.
    let (_, c0) = d.admin("/v1/conversations/c0").await;
    assert_eq!(c0["conversation"]["state"], "closed", "{c0}");
    assert_eq!(d.dm("b2", &fill::customer(0, closed), "hello").await.0, 200);
    sink.assert_texts(&[GREETING]).await;
    let (_, c0) = d.admin("/v1/conversations/c0").await;
    assert_eq!(c0["conversation"]["state"], "bot", "{c0}");
    assert_eq!(texts(&c0), [fill::SAID, fill::ANSWERED, "hello", GREETING]);
    assert_eq!(stats(&d).await, (closed + open, open + 1));
    // A customer never seen before gets the next id.
    assert_eq!(d.dm("b3", "newcomer", "hello").await.0, 200);
    sink.assert_texts(&[GREETING]).await;
    assert_eq!(d.state(&format!("c{}", closed + open)).await, "bot");
    d.stop().await;
    eprintln!("start-up on {closed} closed + {open} open conversations: {took:?}");
}

#[tokio::test(start_paused = true)]
async fn a_closed_conversation_leaves_memory_once_checkpointed_and_comes_back_when_needed() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let accounts = with_timeouts(dir.path(), "");
    let clock = baton::clock::Clock::system();
    let mut d = Daemon::start_clocked(dir.path(), &sink.url, &accounts, clock).await;
    assert_eq!(d.dm("p1", "alice", "hello").await.0, 200);
    assert_eq!(d.dm("p2", "alice", "bye").await.0, 200);
    sink.assert_texts(&[GREETING, "Glad to help. Bye!"]).await;
    assert_eq!(stats(&d).await, (1, 1));
    // Past the checkpoint's age: written at rest, then let go (each question is a round).
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    eventually("the closed conversation leaves memory", || async {
        (stats(&d).await == (1, 0)).then_some(())
    })
    .await;
    assert_eq!(d.state("c0").await, "closed", "answered from the store");
    assert_eq!(d.dm("p3", "alice", "hello").await, (200, accepted()));
    sink.assert_texts(&[GREETING]).await;
    let (_, c0) = d.admin("/v1/conversations/c0").await;
    assert_eq!(texts(&c0).len(), 6, "{c0}");
    assert_eq!(stats(&d).await, (1, 1));
    d.stop().await;
}

/// A customer who writes for years: the oldest turn numbers go to pages of their own, the
/// conversation's record keeps a bounded tail, and every reader still gets the whole transcript,
/// before and after a restart and as the conversation goes on.
#[tokio::test]
async fn a_long_history_is_paged_and_read_back_whole() {
    const SAID: usize = 1_400;
    let (dir, sink, mut d) = fresh().await;
    let said: Vec<String> = (0..SAID).map(|i| format!("m{i:04}")).collect();
    for (i, text) in said.iter().enumerate() {
        assert_eq!(d.dm(&format!("p{i}"), "ann", text).await.0, 200);
    }
    let customer_texts = |c: &Value| -> Vec<String> {
        texts(c)
            .into_iter()
            .filter(|t| t.starts_with('m'))
            .collect()
    };
    let (_, c0) = d.admin("/v1/conversations/c0").await;
    assert_eq!(customer_texts(&c0), said, "before the checkpoint");
    d.stop().await;

    // The clean stop checkpointed it: 1,400 turns are two pages and a tail of 376. (sled's I/O
    // threads may hold its lock on the data dir a moment after the stop: the only test that
    // opens a stopped daemon's store in the same process waits for it.)
    let record = eventually("the stopped daemon's store is free", || async {
        let store = match baton::store::Store::open(dir.path(), 1 << 20) {
            Ok(store) => store,
            Err(baton::store::StoreError::Locked { .. }) => return None,
            Err(e) => panic!("{e}"),
        };
        let record = store.conversation(baton::domain::ConversationId(0));
        Some(record.unwrap().expect("c0 is checkpointed").turns)
    })
    .await;
    assert_eq!((record.paged, record.tail.len()), (1_024, 376));

    let mut d = Daemon::start(dir.path(), &sink.url).await;
    let (_, c0) = d.admin("/v1/conversations/c0").await;
    assert_eq!(customer_texts(&c0), said, "after a restart");
    assert_eq!(d.dm("p-last", "ann", "m-last").await.0, 200);
    let (_, c0) = d.admin("/v1/conversations/c0").await;
    let got = customer_texts(&c0);
    assert_eq!(
        (got.len(), got[0].as_str(), got[SAID].as_str()),
        (SAID + 1, "m0000", "m-last")
    );
    // The export reads every turn too.
    let export = d.export().await;
    let exported = export
        .lines()
        .filter(|l| l.contains(r#""text":"m"#))
        .count();
    assert_eq!(exported, SAID + 1, "{}", &export[..export.len().min(500)]);

    // An agent offered it is shown the newest 200 messages, read from the end (the older
    // ones are in pages), and told that there are older ones.
    let mut ws = agent::online(&d, "Ann", &[], 1).await;
    assert_eq!(d.dm("p-agent", "ann", "agent").await.0, 200);
    let offer = agent::next(&mut ws).await;
    assert_eq!(offer["type"], "offer", "{offer}");
    assert_eq!(offer["conversation"]["earlier"], true);
    let ids = |messages: &Value| -> Vec<String> {
        let all = messages.as_array().expect("a transcript");
        all.iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let shown = ids(&offer["conversation"]["transcript"]);
    let (_, c0) = d.admin("/v1/conversations/c0").await;
    let whole = ids(&c0["transcript"]);
    assert_eq!(shown.len(), 200);
    assert_eq!(shown, whole[whole.len() - 200..], "the newest, in order");

    // Older pages are for the agent offered it or holding it, a page at a time, back to the
    // first message; anyone else is refused.
    let ask = |before: &str| json!({"type": "history", "conversation_id": "c0", "before": before});
    let mut other = agent::online(&d, "Bo", &[], 1).await;
    agent::send(&mut other, ask(&shown[0])).await;
    let refused = agent::next(&mut other).await;
    assert_eq!(
        refused["code"], "not_assigned",
        "neither offered nor held: {refused}"
    );
    let mut seen = shown.clone();
    agent::send(&mut ws, ask(&seen[0])).await;
    let page = agent::next(&mut ws).await;
    assert_eq!(page["type"], "history", "offered, before accepting: {page}");
    assert_eq!(page["earlier"], true, "{page}");
    seen.splice(0..0, ids(&page["messages"]));
    agent::accept(&mut ws, "c0").await;
    loop {
        agent::send(&mut ws, ask(&seen[0])).await;
        let page = agent::next(&mut ws).await;
        assert_eq!(page["type"], "history", "{page}");
        let older = ids(&page["messages"]);
        assert!(!older.is_empty() && older.len() <= 200, "{}", older.len());
        seen.splice(0..0, older);
        if page["earlier"] == false {
            break;
        }
    }
    assert_eq!(seen, whole, "every page back, in order, each message once");
    d.stop().await;
}
