//! The agent WebSocket with real tokio-tungstenite clients: auth, presence, and bad frames.

use crate::support::*;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
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

/// The next frame, which must be JSON text.
pub async fn next(ws: &mut Ws) -> Value {
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
async fn closed(ws: &mut Ws) -> u16 {
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

pub async fn agent_with_token(d: &Daemon) -> String {
    let (status, v) = d
        .admin_post(
            "/v1/agents",
            json!({"account": "acme", "name": "Alissa", "profile_name": "Alissa, Acme",
            "avatar": "https://example.com/a.png", "skills": ["billing"], "capacity": 2}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    v["token"].as_str().unwrap().to_owned()
}

async fn presence(d: &Daemon) -> (String, u64) {
    let (_, v) = d.admin("/v1/agents").await;
    let a = &v["agents"][0];
    (
        a["presence"].as_str().unwrap().to_owned(),
        a["connections"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn an_agent_authenticates_sets_presence_and_is_offline_when_gone() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let d = Daemon::start(dir.path(), &sink.url).await;
    let token = agent_with_token(&d).await;

    let mut ws = connect(&d).await;
    send(&mut ws, json!({"type": "auth", "token": token})).await;
    let welcome = next(&mut ws).await;
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["agent"]["id"], "a0");
    assert_eq!(
        welcome["profile"],
        json!({"id": "acme-a0", "name": "Alissa, Acme", "avatar": "https://example.com/a.png"})
    );
    assert_eq!(
        (welcome["presence"].as_str(), &welcome["conversations"]),
        (Some("away"), &json!([]))
    );
    assert_eq!(presence(&d).await, ("away".into(), 1));

    send(&mut ws, json!({"type": "presence", "status": "available"})).await;
    // A second socket of the same agent: both count, the presence is shared.
    let mut second = connect(&d).await;
    send(&mut second, json!({"type": "auth", "token": token})).await;
    assert_eq!(next(&mut second).await["presence"], "available");
    assert_eq!(presence(&d).await, ("available".into(), 2));

    ws.close(None).await.unwrap();
    second.close(None).await.unwrap();
    let mut waited = 0;
    while presence(&d).await.0 != "offline" {
        waited += 1;
        assert!(waited < 200, "never went offline");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn without_a_valid_auth_frame_the_socket_is_closed_with_4401() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let d = Daemon::start_with(
        dir.path(),
        &sink.url,
        "[agents]\nauth_timeout = \"200ms\"",
        |_| None,
    )
    .await;
    agent_with_token(&d).await;

    let mut silent = connect(&d).await;
    assert_eq!(closed(&mut silent).await, 4401);

    let mut wrong = connect(&d).await;
    send(
        &mut wrong,
        json!({"type": "auth", "token": "bt_not-a-token"}),
    )
    .await;
    assert_eq!(next(&mut wrong).await["code"], "unauthorized");
    assert_eq!(closed(&mut wrong).await, 4401);

    let mut rude = connect(&d).await;
    send(
        &mut rude,
        json!({"type": "presence", "status": "available"}),
    )
    .await;
    assert_eq!(next(&mut rude).await["code"], "auth_required");
    assert_eq!(closed(&mut rude).await, 4401);

    let mut garbled = connect(&d).await;
    garbled.send(Message::text("{nope")).await.unwrap();
    assert_eq!(next(&mut garbled).await["code"], "invalid_json");
    assert_eq!(closed(&mut garbled).await, 4401);
    assert_eq!(presence(&d).await, ("offline".into(), 0));
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_a_flood_closes_with_1008() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let d = Daemon::start(dir.path(), &sink.url).await;
    let token = agent_with_token(&d).await;
    let mut ws = connect(&d).await;
    send(&mut ws, json!({"type": "auth", "token": token})).await;
    next(&mut ws).await;

    let cases: Vec<(Message, &str)> = vec![
        (Message::text("{"), "invalid_json"),
        (Message::text(r#"{"type":"dance"}"#), "unknown_type"),
        (
            Message::text(r#"{"type":"ack","seq":"one"}"#),
            "invalid_frame",
        ),
        (
            Message::text(format!(
                r#"{{"type":"auth","token":"{}"}}"#,
                "x".repeat(70_000)
            )),
            "too_large",
        ),
        (Message::binary(vec![1, 2, 3]), "invalid_frame"),
        (
            Message::text(json!({"type": "auth", "token": token}).to_string()),
            "already_authenticated",
        ),
    ];
    for (frame, code) in cases {
        ws.send(frame).await.unwrap();
        let e = next(&mut ws).await;
        assert_eq!(
            (e["type"].as_str(), e["code"].as_str()),
            (Some("error"), Some(code)),
            "{e}"
        );
    }
    // Acting on a conversation that is not yours changes nothing and says which one.
    send(&mut ws, json!({"type": "accept", "conversation_id": "c0"})).await;
    let e = next(&mut ws).await;
    assert_eq!(
        (e["code"].as_str(), e["ref"].as_str()),
        (Some("not_offered"), Some("c0"))
    );
    // Still connected after all that.
    send(&mut ws, json!({"type": "presence", "status": "available"})).await;
    send(&mut ws, json!({"type": "resolve", "conversation_id": "c9"})).await;
    assert_eq!(next(&mut ws).await["ref"], "c9");
    assert_eq!(presence(&d).await, ("available".into(), 1));

    // A flood of malformed frames: the connection is closed as a policy violation.
    for _ in 0..30 {
        if ws.send(Message::text("garbage")).await.is_err() {
            break;
        }
    }
    assert_eq!(closed(&mut ws).await, u16::from(CloseCode::Policy));
}

#[tokio::test]
async fn stopping_the_daemon_closes_agent_sockets_with_1001() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let mut d = Daemon::start(dir.path(), &sink.url).await;
    let token = agent_with_token(&d).await;
    let mut ws = connect(&d).await;
    send(&mut ws, json!({"type": "auth", "token": token})).await;
    next(&mut ws).await;
    let stop = tokio::spawn(async move { d.stop().await });
    assert_eq!(closed(&mut ws).await, 1001);
    tokio::time::timeout(Duration::from_secs(10), stop)
        .await
        .expect("stop hung")
        .unwrap();
}
