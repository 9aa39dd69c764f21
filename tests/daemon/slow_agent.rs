//! An agent whose client stops reading: the daemon holds a bounded queue for its socket, cuts
//! the socket off when the queue is full (an `error` frame `too_slow`, then close 4408), and
//! on reconnect with `resume_after` replays every kept event exactly once.

use crate::support::agent::*;
use crate::support::*;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Plain = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Long enough that the daemon's socket buffers fill after a few hundred frames.
fn long_text(i: usize) -> String {
    format!("{i:05} {}", "x".repeat(4_000))
}

/// A socket with a small receive buffer, so a client that does not read pushes back soon.
async fn narrow_socket(d: &Daemon) -> Plain {
    let addr: std::net::SocketAddr = d.base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4 * 1024).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let url = format!("ws://{addr}/v1/agents/ws");
    tokio_tungstenite::client_async(url, stream)
        .await
        .unwrap()
        .0
}

async fn next_plain(ws: &mut Plain) -> Option<Value> {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("no frame within 10 s")?
            .ok()?;
        match m {
            Message::Text(t) => return Some(serde_json::from_str(&t).unwrap()),
            Message::Close(f) => {
                let code = f.map(|f| u16::from(f.code));
                return Some(json!({"type": "close", "code": code}));
            }
            _ => continue,
        }
    }
}

/// Which of the flood's messages a `message` event carries.
fn index_of(f: &Value) -> usize {
    let text = f["message"]["text"].as_str().unwrap();
    text[..5].parse().unwrap()
}

/// How many sockets the admin API says the agent has.
async fn connections(d: &Daemon) -> u64 {
    let (_, v) = d.admin("/v1/agents").await;
    v["agents"][0]["connections"].as_u64().unwrap_or(0)
}

/// Posts the customer's messages `from..to`, a few at a time.
async fn flood(d: &Daemon, from: usize, to: usize) {
    futures::stream::iter(from..to)
        .for_each_concurrent(8, |i| async move {
            let (status, v) = d.dm(&format!("m{i}"), "cust", &long_text(i)).await;
            assert_eq!(status, 200, "{v}");
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_cut_off_and_resumes_with_every_event_once() {
    let (_dir, _sink, d) = fresh().await;
    let token = add_agent(&d, "Alissa", &["billing"], 1).await;
    let mut ws = narrow_socket(&d).await;
    let auth = json!({"type": "auth", "token": token}).to_string();
    ws.send(Message::text(auth)).await.unwrap();
    assert_eq!(next_plain(&mut ws).await.unwrap()["type"], "welcome");
    let presence = json!({"type": "presence", "status": "available"}).to_string();
    ws.send(Message::text(presence)).await.unwrap();
    d.dm("m-open", "cust", "agent").await;
    let offer = next_plain(&mut ws).await.unwrap();
    assert_eq!(
        (offer["type"].as_str(), offer["seq"].as_u64()),
        (Some("offer"), Some(1))
    );
    let conv = offer["conversation"]["id"].as_str().unwrap().to_owned();
    let accept = json!({"type": "accept", "conversation_id": conv}).to_string();
    ws.send(Message::text(accept)).await.unwrap();
    assert_eq!(next_plain(&mut ws).await.unwrap()["type"], "assigned");

    // The client reads nothing now. Each message is a kept event for the agent; the socket's
    // queue is bounded, so the daemon cuts the socket off rather than holding them all.
    let mut posted = 0;
    let limit = 5_000;
    while connections(&d).await > 0 {
        assert!(
            posted < limit,
            "{posted} events unread and the socket is still open"
        );
        flood(&d, posted, posted + 100).await;
        posted += 100;
    }
    // More than a replay page, sent while the agent has no socket.
    flood(&d, posted, posted + 300).await;
    posted += 300;

    // What was on its way arrives, then the reason, then the close.
    let mut seen = Vec::new();
    let mut texts = BTreeSet::new();
    let goodbye = loop {
        let f = next_plain(&mut ws)
            .await
            .expect("the socket ended without a goodbye");
        // Messages, and the receipt of the agent's introduction (`delivery`).
        let Some(seq) = f["seq"].as_u64() else {
            break f;
        };
        seen.push(seq);
        if f["type"] == "message" {
            texts.insert(index_of(&f));
        }
    };
    assert_eq!(goodbye["code"], "too_slow", "{goodbye}");
    assert_eq!(
        next_plain(&mut ws).await.unwrap(),
        json!({"type": "close", "code": 4408})
    );
    assert!(
        !texts.is_empty() && texts.len() < posted,
        "{} of {posted}",
        texts.len()
    );
    let expected: Vec<u64> = (3..3 + seen.len() as u64).collect();
    assert_eq!(
        seen, expected,
        "what was sent before the cut is in order, none missing"
    );

    // Resuming after the last one seen replays every other event, each once, in order.
    let last = *seen.last().unwrap();
    let (mut ws, _) = authenticate(&d, &token, Some(last)).await;
    let mut replayed = Vec::new();
    while texts.len() < posted {
        let f = next_any(&mut ws).await;
        replayed.push(
            f["seq"]
                .as_u64()
                .unwrap_or_else(|| panic!("not an event: {f}")),
        );
        if f["type"] == "message" {
            assert!(texts.insert(index_of(&f)), "shown twice: {}", index_of(&f));
        }
    }
    let expected: Vec<u64> = (last + 1..last + 1 + replayed.len() as u64).collect();
    assert_eq!(replayed, expected);
    assert_nothing_pending(&mut ws).await;
    // Between the two sockets, every message the customer sent, each once.
    assert_eq!(texts, (0..posted).collect::<BTreeSet<_>>());
    // And the next event comes live, numbered after the replay.
    d.dm("m-last", "cust", "one more").await;
    let f = next(&mut ws).await;
    assert_eq!(
        (f["type"].as_str(), f["seq"].as_u64()),
        (Some("message"), Some(last + 1 + replayed.len() as u64))
    );
}
