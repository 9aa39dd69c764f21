//! `delivery` frames: what became of each message an agent's profile signed, once the
//! platform answered, on the generic webhook's HTTP sink.

use crate::support::agent::*;
use crate::support::*;
use serde_json::{json, Value};

/// The agent writes `text`; returns the message id its `sent` receipt names. The `delivery`
/// for it may come before the receipt is read, so frames other than the receipt are kept in
/// `early` for the caller.
async fn write(
    ws: &mut Ws,
    conv: &str,
    text: &str,
    client_id: &str,
    early: &mut Vec<Value>,
) -> String {
    let frame =
        json!({"type": "send", "conversation_id": conv, "text": text, "client_id": client_id});
    send(ws, frame).await;
    loop {
        let f = next_any(ws).await;
        if f["type"] == "sent" && f["client_id"] == client_id {
            return f["message_id"].as_str().unwrap().to_owned();
        }
        early.push(f);
    }
}

/// The `delivery` frame for message `id`, from `early` or the socket; every frame read
/// before it must be another `delivery` and is returned with it.
async fn delivery(ws: &mut Ws, id: &str, early: &mut Vec<Value>) -> (Value, Vec<Value>) {
    let mut others = Vec::new();
    loop {
        let f = if early.is_empty() {
            next_any(ws).await
        } else {
            early.remove(0)
        };
        assert_eq!(f["type"], "delivery", "unexpected frame: {f}");
        if f["message_id"] == id {
            return (f, others);
        }
        others.push(f);
    }
}

/// Nothing more was sent to the socket, delivery frames included (see
/// `assert_nothing_pending`, which skips them).
async fn assert_nothing_at_all(ws: &mut Ws) {
    act(ws, "resolve", "c999999").await;
    let f = next_any(ws).await;
    assert_eq!(f["ref"], "c999999", "unexpected frame: {f}");
}

#[tokio::test]
async fn an_agents_messages_are_reported_delivered_or_failed_and_a_failure_survives_a_reconnect() {
    let (_dir, mut sink, d) = fresh().await;
    let token = agent_with_token(&d).await;
    let mut ws = sign_in(&d, &token).await;
    let conv = take(&d, &mut ws, "d1", "u1").await;
    sink.skip(3).await; // greeting, reply, queued: the bot's, which nobody is told about
    let hello = sink.next().await;
    assert_eq!(hello["sender"], "agent");
    let hello_id = hello["id"].as_str().unwrap();

    // Delivered: the announcement of the accept (signed by the agent), then what it wrote.
    let mut early = Vec::new();
    let first = write(&mut ws, &conv, "Checking now.", "k1", &mut early).await;
    assert_eq!(sink.next_text().await, "Checking now.");
    let (announced, others) = delivery(&mut ws, hello_id, &mut early).await;
    assert_eq!(others, Vec::<Value>::new());
    assert_eq!(announced["status"], "delivered", "{announced}");
    let (done, others) = delivery(&mut ws, &first, &mut early).await;
    assert_eq!(others, Vec::<Value>::new());
    let seq = done["seq"].as_u64().expect("a delivery frame is numbered");
    assert_eq!(
        done,
        json!({"type": "delivery", "seq": seq, "message_id": first, "status": "delivered"})
    );

    // Refused for good: failed, with the platform's answer as the reason.
    sink.script.lock().unwrap().push_back(400);
    let second = write(&mut ws, &conv, "This one bounces.", "k2", &mut early).await;
    let (failed, others) = delivery(&mut ws, &second, &mut early).await;
    assert_eq!(others, Vec::<Value>::new());
    assert_eq!(failed["status"], "failed", "{failed}");
    let reason = failed["reason"].as_str().unwrap();
    assert!(reason.starts_with("HTTP 400"), "{reason}");
    let failed_seq = failed["seq"].as_u64().unwrap();
    assert!(failed_seq > seq);
    assert_nothing_at_all(&mut ws).await;

    // The rest goes on: the next message is delivered.
    let third = write(&mut ws, &conv, "Sorry, once more.", "k3", &mut early).await;
    assert_eq!(sink.next_text().await, "Sorry, once more.");
    let (ok, _) = delivery(&mut ws, &third, &mut early).await;
    assert_eq!(ok["status"], "delivered");

    // Gone before acknowledging: the failure is replayed after a reconnect, as it was.
    send(&mut ws, json!({"type": "ack", "seq": failed_seq - 1})).await;
    assert_nothing_at_all(&mut ws).await;
    drop(ws);
    let (mut ws, _) = authenticate(&d, &token, Some(failed_seq - 1)).await;
    let replayed = next_any(&mut ws).await;
    assert_eq!(replayed, failed);
    let (again, _) = delivery(&mut ws, &third, &mut Vec::new()).await;
    assert_eq!(again, ok);
    assert_nothing_at_all(&mut ws).await;
}

#[tokio::test]
async fn bot_messages_get_no_delivery_frames() {
    let (_dir, mut sink, d) = fresh().await;
    let token = agent_with_token(&d).await;
    let mut ws = sign_in(&d, &token).await;
    // A customer the bot answers, delivered and refused, while an agent is connected.
    sink.script.lock().unwrap().push_back(400);
    let (status, _) = d.dm("b1", "u1", "hello").await;
    assert_eq!(status, 200);
    sink.assert_nothing_more_for(&d, "b2", "u1").await;
    assert_nothing_at_all(&mut ws).await;
}
