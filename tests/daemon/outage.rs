//! A receiver down for a while, against the real binary: each conversation is tried at the
//! pace `[outbound] retry_ceiling` allows, not once a second; the log says so in a summary
//! line or two, not a line per try; once the receiver is back everything goes out, in order
//! per conversation, and the log says the channel recovered.

use crate::logs::JsonBaton;
use crate::support::*;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the receiver stays down.
const OUTAGE: Duration = Duration::from_secs(20);
/// The test's ceiling, small so the outage shows it in seconds.
const CEILING: Duration = Duration::from_secs(4);
/// Quick tries within a conversation's first failing round (`outbox::ATTEMPTS`).
const FIRST_ROUND: u32 = 5;

/// A receiver that refuses (503) while `down`, and remembers every try.
#[derive(Default)]
struct Receiver {
    down: AtomicBool,
    /// Tries per conversation, and when the first came.
    tries: Mutex<HashMap<String, (u32, Option<Instant>)>>,
    /// Every message id ever tried.
    seen: Mutex<BTreeSet<String>>,
    /// Message ids accepted, in the order they came.
    delivered: Mutex<Vec<String>>,
}

/// `c12-3` → (`c12`, 3).
fn split(id: &str) -> (String, u64) {
    let (conv, seq) = id
        .split_once('-')
        .expect("a message id c<conversation>-<seq>");
    (conv.to_owned(), seq.parse().expect("a message seq"))
}

async fn receive(State(r): State<Arc<Receiver>>, Json(v): Json<Value>) -> StatusCode {
    let id = v["id"].as_str().unwrap_or_default().to_owned();
    let (conv, _) = split(&id);
    {
        let mut tries = r.tries.lock().unwrap();
        let entry = tries.entry(conv).or_insert((0, None));
        entry.0 += 1;
        entry.1.get_or_insert_with(Instant::now);
    }
    r.seen.lock().unwrap().insert(id.clone());
    if r.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    r.delivered.lock().unwrap().push(id);
    StatusCode::OK
}

async fn start_receiver() -> (String, Arc<Receiver>) {
    let r = Arc::new(Receiver::default());
    r.down.store(true, Ordering::SeqCst);
    let app = Router::new()
        .route("/out", post(receive))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/out", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, r)
}

#[tokio::test]
async fn a_long_outage_is_tried_at_the_ceiling_pace_summed_up_and_delivered_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (url, receiver) = start_receiver().await;
    let extra = format!("[outbound]\nretry_ceiling = \"{}s\"\n", CEILING.as_secs());
    let b = JsonBaton::start(dir.path(), &url, &extra).await;
    let d = &b.daemon;

    // Three customers, two messages each: every conversation has a chain of replies waiting.
    for customer in ["u1", "u2", "u3"] {
        for (n, text) in ["hello", "where is my order"].iter().enumerate() {
            let (status, v) = d.dm(&format!("{customer}-{n}"), customer, text).await;
            assert_eq!(status, 200, "{v}");
        }
    }
    eventually("every conversation is tried", || {
        let n = receiver.tries.lock().unwrap().len();
        async move { (n == 3).then_some(()) }
    })
    .await;
    let down_since = Instant::now();
    within(OUTAGE * 2, "the outage has lasted its time", || {
        let over = down_since.elapsed() >= OUTAGE;
        async move { over.then_some(()) }
    })
    .await;

    // The tries: the first round's quick ones, the doubling (1 s, 2 s) up to the ceiling, then
    // one per ceiling less its quarter of jitter at most. Without the ceiling's waits it was a
    // round of five tries every five seconds or so: 20 in this window.
    let tries = receiver.tries.lock().unwrap().clone();
    for (conv, (n, first)) in &tries {
        let window = first.expect("a first try").elapsed();
        let pace = CEILING.mul_f64(0.75);
        let most = FIRST_ROUND + 2 + (window.as_secs_f64() / pace.as_secs_f64()).ceil() as u32;
        assert!(
            *n <= most,
            "{conv}: {n} tries in {window:?}, at most {most} with a {CEILING:?} ceiling"
        );
        assert!(
            *n > FIRST_ROUND,
            "{conv}: tried again after its first round"
        );
    }
    // What nothing was delivered of, nothing later in its conversation overtook.
    assert!(receiver.delivered.lock().unwrap().is_empty());

    // The log: a summary line (one a minute at most), no line per try.
    let summaries = b.at("WARN", "messages waiting in");
    let minutes = down_since.elapsed().as_secs() / 60 + 1;
    assert!(
        (1..=minutes as usize + 1).contains(&summaries.len()),
        "{summaries:#?}"
    );
    let first = summaries[0]["message"].as_str().unwrap();
    assert!(
        first.starts_with("outbound webhook: ") && first.contains("last error: HTTP 503"),
        "{first}"
    );
    let outbox_warnings = b
        .objects()
        .into_iter()
        .filter(|o| o["level"] == "WARN" && o["target"] == "baton::outbox::deliver")
        .count();
    assert_eq!(outbox_warnings, 0, "a failed try is a debug line");

    // The receiver is back: within a ceiling and a round, everything goes, in order.
    receiver.down.store(false, Ordering::SeqCst);
    within(CEILING * 4, "everything tried is delivered", || {
        let seen = receiver.seen.lock().unwrap().clone();
        let delivered: BTreeSet<String> =
            receiver.delivered.lock().unwrap().iter().cloned().collect();
        async move { (seen == delivered).then_some(()) }
    })
    .await;
    let delivered = receiver.delivered.lock().unwrap().clone();
    let mut last: HashMap<String, u64> = HashMap::new();
    for id in &delivered {
        let (conv, seq) = split(id);
        let before = last.insert(conv.clone(), seq).unwrap_or(0);
        assert!(seq >= before, "{conv} out of order: {delivered:?}");
    }
    assert_eq!(last.len(), 3, "{delivered:?}");
    eventually("the channel says it recovered", || {
        let n = b.at("INFO", "outbound webhook: recovered").len();
        async move { (n == 1).then_some(()) }
    })
    .await;
    // And the next reply goes straight out.
    let before = delivered.len();
    d.dm("u1-9", "u1", "hello again").await;
    eventually("a reply after the outage", || {
        let n = receiver.delivered.lock().unwrap().len();
        async move { (n > before).then_some(()) }
    })
    .await;
}

#[tokio::test]
async fn a_message_refused_for_good_is_in_the_admin_view_of_its_conversation_with_the_reason() {
    let (_dir, mut sink, d) = fresh().await;
    // The receiver refuses the first reply for good; the next ones it takes.
    sink.script.lock().unwrap().push_back(400);
    let (status, v) = d.dm("f1", "u1", "where is my order").await;
    assert_eq!(status, 200, "{v}");
    // The daemon's first conversation.
    let conv = "c0";
    let failed = eventually("the refused reply shows in the admin view", || async {
        let (_, view) = d.admin(&format!("/v1/conversations/{conv}")).await;
        view["failed"].as_array().filter(|f| !f.is_empty()).cloned()
    })
    .await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    let reason = failed[0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("HTTP 400"), "{reason}");
    assert_eq!(failed[0]["message"]["from"], "bot");
    let id = failed[0]["message"]["id"].as_str().unwrap().to_owned();
    // The rest of the conversation went on; the refused message was not among it.
    let next = sink.next().await;
    assert_ne!(next["id"], id.as_str());
    let (_, view) = d.admin(&format!("/v1/conversations/{conv}")).await;
    let in_transcript = view["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == id.as_str());
    assert!(in_transcript, "the transcript keeps what was said: {view}");
}
