//! Echoes on the Twitter/X webhook: Baton's own sends (its app, or an id the sink was given
//! back) change nothing; an answer from another app silences the bot until the customer has
//! been idle for `customer_idle`. And the live signals: a customer's typing and reading reach
//! the agent holding the conversation; the agent's typing and reading reach the platform.

use crate::support::agent::{accept, assert_nothing_pending, next, online, send};
use crate::support::twitter::*;
use crate::support::*;
use serde_json::{json, Value};

const BRAND: &str = "3001";
const CUSTOMER: &str = "4001";
const OUR_APP: &str = "17000001";
const PHONE_APP: &str = "268278";

/// A daemon whose account `acme` is the Twitter user 3001, sending to `fake`, with a short
/// `customer_idle`.
async fn daemon(dir: &std::path::Path, fake: &FakeTwitter, sink: &FakeSink) -> Daemon {
    let creds = dir.join("creds");
    std::fs::create_dir_all(&creds).unwrap();
    let secret = |name: &str, value: &str| -> String {
        let path = creds.join(name);
        std::fs::write(&path, value).unwrap();
        path.display().to_string()
    };
    let accounts = format!(
        "[accounts.acme]\nname = \"Acme Mobile\"\n\
         [accounts.acme.timeouts]\ncustomer_idle = \"2s\"\n\
         [accounts.acme.twitter]\nuser_id = \"{BRAND}\"\n\
         access_token = {{ file = \"{}\" }}\naccess_secret = {{ file = \"{}\" }}\n\
         [channels.twitter]\napi_base = \"{base}\"\nupload_base = \"{base}\"\n\
         app_id = \"{OUR_APP}\"\n\
         consumer_key = {{ file = \"{}\" }}\nconsumer_secret = {{ file = \"{}\" }}\n",
        secret("access_token", ACCESS_TOKEN),
        secret("access_secret", ACCESS_SECRET),
        secret("consumer_key", CONSUMER_KEY),
        secret("consumer_secret", CONSUMER_SECRET),
        base = fake.base,
    );
    Daemon::start_accounts(&dir.join("data"), &sink.url, &accounts).await
}

async fn deliver(d: &Daemon, delivery: Value) -> Value {
    let (status, answer) = post_delivery(d, delivery.to_string().as_bytes()).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

fn dm_event(id: &str, from: &str, to: &str, app: Option<&str>, text: &str) -> Value {
    let mut create = json!({"target": {"recipient_id": to}, "sender_id": from,
                            "message_data": {"text": text}});
    if let Some(app) = app {
        create["source_app_id"] = json!(app);
    }
    json!({"type": "message_create", "id": id, "created_timestamp": "1767225600000",
           "message_create": create})
}

async fn customer_writes(d: &Daemon, id: &str, text: &str) {
    let event = dm_event(id, CUSTOMER, BRAND, None, text);
    let reply = deliver(
        d,
        json!({"for_user_id": BRAND, "direct_message_events": [event]}),
    )
    .await;
    assert_eq!(reply["accepted"], 1, "{reply}");
}

async fn brand_writes(d: &Daemon, id: &str, app: Option<&str>) {
    let event = dm_event(id, BRAND, CUSTOMER, app, "from the brand");
    let reply = deliver(
        d,
        json!({"for_user_id": BRAND, "direct_message_events": [event]}),
    )
    .await;
    assert_eq!(reply["accepted"], 0, "{reply}");
}

async fn conversation(d: &Daemon) -> Value {
    let (status, view) = d.admin("/v1/conversations/c0").await;
    assert_eq!(status, 200, "{view}");
    view
}

/// Who wrote the transcript's lines, in order.
async fn authors(d: &Daemon) -> Vec<String> {
    let view = conversation(d).await;
    view["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["from"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn our_own_echoes_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, sink) = (FakeTwitter::start().await, FakeSink::start().await);
    let d = daemon(dir.path(), &fake, &sink).await;
    customer_writes(&d, "1001", "hello").await;
    // The greeting goes out; the platform gave it an id.
    let id = eventually("the greeting is sent", || async {
        let dms = fake.dms();
        (!dms.is_empty()).then_some(dms.len())
    })
    .await;
    let sent_id = format!("9{id:05}");
    // The fake records a call before it answers, so the sink may not have the id yet. The
    // conversation's messages go out one after another: once the next one has reached the
    // fake, the sink has read the answer to the greeting.
    customer_writes(&d, "1000", "where is my order").await;
    eventually("the next message is sent", || async {
        (fake.dms().len() > id).then_some(())
    })
    .await;
    // Its echo (no app named), and one from Baton's app: both ours.
    brand_writes(&d, &sent_id, None).await;
    brand_writes(&d, "1002", Some(OUR_APP)).await;
    let view = conversation(&d).await;
    assert_eq!(
        view["conversation"].get("taken_outside_since"),
        None,
        "{view}"
    );
    customer_writes(&d, "1003", "order?").await;
    let n = authors(&d).await.iter().filter(|a| *a == "bot").count();
    assert_eq!(n, 3, "the bot greeted, and answered both later messages");
}

#[tokio::test]
async fn an_answer_from_another_app_silences_the_bot_until_the_customer_is_idle() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, sink) = (FakeTwitter::start().await, FakeSink::start().await);
    let d = daemon(dir.path(), &fake, &sink).await;
    customer_writes(&d, "2001", "hello").await;
    assert_eq!(authors(&d).await, ["customer", "bot"]);

    // Someone on the team answers from the phone app: kept in the transcript, as theirs.
    brand_writes(&d, "2002", Some(PHONE_APP)).await;
    let view = conversation(&d).await;
    assert!(
        view["conversation"]["taken_outside_since"].is_string(),
        "{view}"
    );
    let answer = &view["transcript"][2];
    assert_eq!(
        (&answer["from"], &answer["text"]),
        (&json!("outside"), &json!("from the brand")),
        "{view}"
    );
    // Redelivered: a duplicate, nothing changes.
    brand_writes(&d, "2002", Some(PHONE_APP)).await;

    // The customer's next message: kept, and no bot reply.
    // A bot reply would be written with the message, before the 200.
    customer_writes(&d, "2003", "thanks, and my order?").await;
    assert_eq!(
        authors(&d).await,
        ["customer", "bot", "outside", "customer"]
    );

    // Idle for customer_idle: the bot's again, and it answers.
    eventually("the conversation is the bot's again", || async {
        let view = conversation(&d).await;
        view["conversation"]
            .get("taken_outside_since")
            .is_none()
            .then_some(())
    })
    .await;
    customer_writes(&d, "2004", "order?").await;
    assert_eq!(
        authors(&d).await,
        ["customer", "bot", "outside", "customer", "customer", "bot"]
    );
    // The platform was asked to send the bot's two messages, never the answer it delivered.
    let sent = eventually("the bot's answer is sent", || async {
        let dms = fake.dms();
        (dms.len() >= 2).then_some(dms)
    })
    .await;
    assert!(
        sent.iter()
            .all(|c| !c.body.to_string().contains("from the brand")),
        "{sent:?}"
    );
    // Nor was it put in line to be sent (Twitter would have failed it as unsigned).
    let metrics = d.get("/metrics").await.text().await.unwrap();
    let failed = metrics
        .lines()
        .find(|l| l.starts_with(r#"baton_sends_total{channel="twitter",result="failed"}"#));
    assert!(failed.is_none_or(|l| l.ends_with(" 0")), "{failed:?}");
    // The export says who wrote it.
    let export = d.export().await;
    let line = export
        .lines()
        .find(|l| l.contains("from the brand"))
        .unwrap_or_else(|| panic!("not exported:\n{export}"));
    assert!(line.contains(r#""author":"outside""#), "{line}");
}

/// The calls the fake received on `path`, once there are `n`.
async fn calls_to(fake: &FakeTwitter, path: &str, n: usize) -> Vec<Call> {
    eventually(&format!("{n} call(s) to {path}"), || async {
        let calls: Vec<Call> = fake
            .calls()
            .into_iter()
            .filter(|c| c.path == path)
            .collect();
        (calls.len() >= n).then_some(calls)
    })
    .await
}

#[tokio::test]
async fn typing_and_reading_reach_the_holding_agent_and_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, sink) = (FakeTwitter::start().await, FakeSink::start().await);
    let d = daemon(dir.path(), &fake, &sink).await;
    let mut sam = online(&d, "Sam", &[], 1).await;
    customer_writes(&d, "3101", "agent please").await;
    let offer = next(&mut sam).await;
    assert_eq!(offer["type"], "offer", "{offer}");
    let conv = offer["conversation"]["id"].as_str().unwrap().to_owned();
    accept(&mut sam, &conv).await;

    // Shown the transcript: the customer's message is marked read on the platform.
    let read = calls_to(&fake, "/1.1/direct_messages/mark_read.json", 1).await;
    assert_eq!(read[0].body["last_read_event_id"], "3101", "{:?}", read[0]);
    assert_eq!(read[0].body["recipient_id"], CUSTOMER);
    assert!(read[0].signed);

    // The customer types, then reads: live frames for Sam, without a seq.
    let typing = json!({"sender_id": CUSTOMER, "target": {"recipient_id": BRAND},
                        "created_timestamp": "1767225600000"});
    deliver(
        &d,
        json!({"for_user_id": BRAND,
                       "direct_message_indicate_typing_events": [typing]}),
    )
    .await;
    assert_eq!(
        next(&mut sam).await,
        json!({"type": "typing", "conversation_id": conv})
    );
    let read = json!({"sender_id": CUSTOMER, "target": {"recipient_id": BRAND},
                      "created_timestamp": "1767225600000", "last_read_event_id": "999"});
    deliver(
        &d,
        json!({"for_user_id": BRAND,
                       "direct_message_mark_read_events": [read]}),
    )
    .await;
    assert_eq!(
        next(&mut sam).await,
        json!({"type": "read", "conversation_id": conv})
    );

    // Sam types twice in a row: the platform hears it once (at most every 3 s).
    for _ in 0..2 {
        send(&mut sam, json!({"type": "typing", "conversation_id": conv})).await;
    }
    let typed = calls_to(&fake, "/1.1/direct_messages/indicate_typing.json", 1).await;
    assert_eq!(typed[0].body["recipient_id"], CUSTOMER);
    assert!(typed[0].signed);
    // Barrier: the engine has handled both typing frames once it answers a later one (in
    // order), so it passed both to the platform task before the customer's next message, whose
    // read mark then comes after them (once its 5 s window allows).
    assert_nothing_pending(&mut sam).await;
    customer_writes(&d, "3102", "still there?").await;
    calls_to(&fake, "/1.1/direct_messages/mark_read.json", 2).await;
    let typed = calls_to(&fake, "/1.1/direct_messages/indicate_typing.json", 1).await;
    assert_eq!(typed.len(), 1);
}
