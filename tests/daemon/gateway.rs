//! The agent WebSocket with real tokio-tungstenite clients: auth, presence, and bad frames.

use crate::support::agent::{
    act, agent_with_token, authenticate, available, closed, connect, next,
};
use crate::support::*;
use futures::SinkExt;
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

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
    let (_dir, _sink, d) = fresh().await;
    let token = agent_with_token(&d).await;

    let (mut ws, welcome) = authenticate(&d, &token, None).await;
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

    available(&mut ws).await;
    // A second socket of the same agent: both count, the presence is shared.
    let (mut second, welcome) = authenticate(&d, &token, None).await;
    assert_eq!(welcome["presence"], "available");
    assert_eq!(presence(&d).await, ("available".into(), 2));

    ws.close(None).await.unwrap();
    second.close(None).await.unwrap();
    let d = &d;
    eventually(
        "the agent goes offline once its sockets are closed",
        || async move { (presence(d).await.0 == "offline").then_some(()) },
    )
    .await;
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

    // A wrong token, a first frame that is not auth, a first frame that is not JSON: each is
    // named, then the socket is closed.
    let cases = [
        (
            Message::text(json!({"type": "auth", "token": "bt_not-a-token"}).to_string()),
            "unauthorized",
        ),
        (
            Message::text(json!({"type": "presence", "status": "available"}).to_string()),
            "auth_required",
        ),
        (Message::text("{nope"), "invalid_json"),
    ];
    for (first, code) in cases {
        let mut ws = connect(&d).await;
        ws.send(first).await.unwrap();
        assert_eq!(next(&mut ws).await["code"], code);
        assert_eq!(closed(&mut ws).await, 4401, "after {code}");
    }
    assert_eq!(presence(&d).await, ("offline".into(), 0));
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_a_flood_closes_with_1008() {
    let (_dir, _sink, d) = fresh().await;
    let token = agent_with_token(&d).await;
    let (mut ws, _) = authenticate(&d, &token, None).await;

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
    act(&mut ws, "accept", "c0").await;
    let e = next(&mut ws).await;
    assert_eq!(
        (e["code"].as_str(), e["ref"].as_str()),
        (Some("not_offered"), Some("c0"))
    );
    // Still connected after all that.
    available(&mut ws).await;
    act(&mut ws, "resolve", "c9").await;
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
    let (_dir, _sink, mut d) = fresh().await;
    let token = agent_with_token(&d).await;
    let (mut ws, _) = authenticate(&d, &token, None).await;
    let stop = tokio::spawn(async move { d.stop().await });
    assert_eq!(closed(&mut ws).await, 1001);
    tokio::time::timeout(Duration::from_secs(10), stop)
        .await
        .expect("stop hung")
        .unwrap();
}
