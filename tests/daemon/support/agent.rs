//! An agent's side of the WebSocket: connect, sign in, read frames, take a conversation.

use super::Daemon;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(d: &Daemon) -> Ws {
    let url = format!("{}/v1/agents/ws", d.base.replace("http://", "ws://"));
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next frame, which must be JSON text, skipping `delivery` receipts: they come whenever
/// the platform answers, so only the tests about them read them (with [`next_any`]).
pub async fn next(ws: &mut Ws) -> Value {
    loop {
        let f = next_any(ws).await;
        if f["type"] != "delivery" {
            return f;
        }
    }
}

/// The next frame, whatever it is; it must be JSON text.
pub async fn next_any(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("no frame within 10 s")
            .expect("socket ended")
            .unwrap();
        match m {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// The close frame's code.
pub async fn closed(ws: &mut Ws) -> u16 {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("no close within 10 s")
        {
            Some(Ok(Message::Close(Some(f)))) => return u16::from(f.code),
            Some(Ok(Message::Close(None))) | None => panic!("closed without a code"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("socket error instead of a close: {e}"),
        }
    }
}

/// Asserts the socket was sent nothing more so far. The barrier is a frame the engine answers
/// at once with an error naming a conversation that does not exist: the server sends a
/// session's frames in order (a replay right after the welcome, then what the engine queued
/// for it), so anything pending was sent before that answer, and would be read here first.
pub async fn assert_nothing_pending(ws: &mut Ws) {
    act(ws, "resolve", "c999999").await;
    let f = next(ws).await;
    assert_eq!(
        (f["code"].as_str(), f["ref"].as_str()),
        (Some("not_assigned"), Some("c999999")),
        "unexpected frame: {f}"
    );
}

/// Adds an agent of acme with these skills and capacity; returns its token.
pub async fn add_agent(d: &Daemon, name: &str, skills: &[&str], capacity: u32) -> String {
    let (status, v) = d
        .admin_post(
            "/v1/agents",
            json!({"account": "acme", "name": name, "profile_name": format!("{name}, Acme"),
                   "avatar": "https://example.com/a.png", "skills": skills, "capacity": capacity}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    v["token"].as_str().unwrap().to_owned()
}

/// Alissa, with the billing skill and room for two conversations; returns her token.
pub async fn agent_with_token(d: &Daemon) -> String {
    add_agent(d, "Alissa", &["billing"], 2).await
}

/// Connects and authenticates (resuming after event `resume_after`, if given); returns the
/// socket and its welcome frame.
pub async fn authenticate(d: &Daemon, token: &str, resume_after: Option<u64>) -> (Ws, Value) {
    let mut auth = json!({"type": "auth", "token": token});
    if let Some(after) = resume_after {
        auth["resume_after"] = json!(after);
    }
    let mut ws = connect(d).await;
    send(&mut ws, auth).await;
    let welcome = next(&mut ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    (ws, welcome)
}

/// Connects an agent by its token, checks the welcome, and makes it available.
pub async fn sign_in(d: &Daemon, token: &str) -> Ws {
    let (mut ws, _) = authenticate(d, token, None).await;
    available(&mut ws).await;
    ws
}

pub async fn available(ws: &mut Ws) {
    send(ws, json!({"type": "presence", "status": "available"})).await;
}

/// Adds an agent with these skills and capacity, connects it, makes it available.
pub async fn online(d: &Daemon, name: &str, skills: &[&str], capacity: u32) -> Ws {
    let token = add_agent(d, name, skills, capacity).await;
    sign_in(d, &token).await
}

/// A customer asks for a person; the agent is offered the conversation, accepts it, and is
/// assigned it. Returns the conversation's id.
pub async fn take(d: &Daemon, ws: &mut Ws, event: &str, customer: &str) -> String {
    d.dm(event, customer, "agent").await;
    let offer = next(ws).await;
    assert_eq!(offer["type"], "offer", "{offer}");
    let conv = offer["conversation"]["id"].as_str().unwrap().to_owned();
    accept(ws, &conv).await;
    conv
}

/// Sends an action that names only a conversation: accept, decline, release, resolve.
pub async fn act(ws: &mut Ws, action: &str, conv: &str) {
    send(ws, json!({"type": action, "conversation_id": conv})).await;
}

/// Accepts an offered conversation and checks it is assigned.
pub async fn accept(ws: &mut Ws, conv: &str) {
    act(ws, "accept", conv).await;
    assert_eq!(next(ws).await["type"], "assigned");
}
