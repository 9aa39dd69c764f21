//! `[http]` limits: slow or silent peers are closed on their phase's timeout, connections and
//! agent sockets past their caps are refused, and every refusal a handler makes is JSON, with
//! the token checked before the path is parsed.

use crate::support::{agent, Daemon, FakeSink, ADMIN};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER: Duration = Duration::from_millis(500);
const BODY: Duration = Duration::from_millis(600);
const IDLE: Duration = Duration::from_millis(700);

/// Beyond its timeout, how long a close may take on a machine shared with other builds.
const SLACK: Duration = Duration::from_secs(4);

async fn start(http: &str, extra: &str) -> (tempfile::TempDir, FakeSink, Daemon) {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let extra = format!("{extra}\n[http]\n{http}\n");
    let d = Daemon::start_with(dir.path(), &sink.url, &extra, |_| None).await;
    (dir, sink, d)
}

fn short_timeouts() -> String {
    format!(
        "header_timeout = \"{}ms\"\nbody_timeout = \"{}ms\"\nidle_timeout = \"{}ms\"",
        HEADER.as_millis(),
        BODY.as_millis(),
        IDLE.as_millis()
    )
}

async fn connect(d: &Daemon) -> TcpStream {
    TcpStream::connect(d.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the daemon closes the connection (an end of file or a reset); returns how long
/// that took and what was read. Fails the test if it is still open after `limit`.
async fn until_closed(tcp: &mut TcpStream, limit: Duration) -> (Duration, Vec<u8>) {
    until_closed_since(tcp, Instant::now(), limit).await
}

/// As [`until_closed`], timed from `start` (before the connection was made, so a slow machine
/// cannot make the close look early).
async fn until_closed_since(
    tcp: &mut TcpStream,
    start: Instant,
    limit: Duration,
) -> (Duration, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(start.elapsed());
        match tokio::time::timeout(left, tcp.read(&mut buf)).await {
            Err(_) => panic!("still open after {limit:?}; read {got:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return (start.elapsed(), got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn slow_or_silent_peers_are_closed_on_their_timeout() {
    let (_dir, _sink, d) = start(&short_timeouts(), "").await;
    let cases: [(&str, &[u8], Duration); 4] = [
        ("sends nothing", b"", HEADER),
        ("half a request line", b"GET /heal", HEADER),
        (
            "partial headers",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ",
            HEADER,
        ),
        (
            "an incomplete body",
            b"POST /v1/channels/webhook/messages HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":",
            BODY,
        ),
    ];
    let mut open = Vec::new();
    for (what, sent, _) in &cases {
        let start = Instant::now();
        let mut tcp = connect(&d).await;
        tcp.write_all(sent).await.unwrap();
        open.push((what, start, tcp));
    }
    // All at once, so the test takes one timeout rather than four.
    let waits = open
        .into_iter()
        .zip(&cases)
        .map(|((what, start, mut tcp), case)| {
            let limit = case.2;
            async move {
                let (took, got) = until_closed_since(&mut tcp, start, limit + SLACK).await;
                assert!(
                    took >= limit,
                    "{what}: closed after {took:?}, before {limit:?}"
                );
                assert!(
                    got.is_empty(),
                    "{what}: answered {:?}",
                    String::from_utf8_lossy(&got)
                );
            }
        });
    futures::future::join_all(waits).await;
}

#[tokio::test]
async fn a_keep_alive_connection_is_closed_when_idle_not_before() {
    let (_dir, _sink, d) = start(&short_timeouts(), "").await;
    let mut tcp = connect(&d).await;
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (took, got) = until_closed(&mut tcp, IDLE + SLACK).await;
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    // Idle is longer than the head's timeout: the pause after an answer is not a slow head.
    assert!(took >= IDLE, "closed after {took:?}, before idle_timeout");
}

#[tokio::test]
async fn connections_past_the_cap_are_closed_at_once_and_a_free_slot_still_serves() {
    // Long timeouts: only the cap may close anything here.
    let http = "max_connections = 3\nheader_timeout = \"60s\"";
    let (_dir, mut sink, d) = start(http, "").await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect(&d).await);
    }
    // The accept loop takes connections in order: these three hold every slot once it has
    // seen a fourth refused.
    crate::support::eventually("a connection past the cap is closed", || async {
        let mut extra = connect(&d).await;
        let (took, _) = until_closed(&mut extra, SLACK).await;
        (took < Duration::from_secs(2)).then_some(())
    })
    .await;
    for _ in 0..3 {
        let mut extra = connect(&d).await;
        let (took, got) = until_closed(&mut extra, SLACK).await;
        assert!(got.is_empty() && took < Duration::from_secs(2), "{took:?}");
    }
    drop(held.pop());
    let (status, body) = crate::support::eventually("a DM on the freed slot", || async {
        // A fresh client each time: a refused connection must not be reused.
        let client = reqwest::Client::new();
        let body = serde_json::json!({"id": "e1", "account": "acme",
            "customer": {"id": "u1", "name": "Jo"}, "text": "where is my order"});
        let res = client
            .post(format!("{}/v1/channels/webhook/messages", d.base))
            .json(&body)
            .send()
            .await
            .ok()?;
        Some((res.status().as_u16(), res.json::<Value>().await.ok()?))
    })
    .await;
    assert_eq!((status, body), (200, crate::support::accepted()));
    // The bot greets first, then answers.
    sink.skip(1).await;
    assert_eq!(sink.next_text().await, crate::support::TRACK);
}

#[tokio::test]
async fn agent_sockets_past_the_cap_are_refused_with_json_503() {
    let (_dir, _sink, d) = start("max_agent_sockets = 2", "[agents]\nauth_timeout = \"60s\"").await;
    let first = agent::connect(&d).await;
    let _second = agent::connect(&d).await;
    let url = format!("{}/v1/agents/ws", d.base.replace("http://", "ws://"));
    let refused = tokio_tungstenite::connect_async(url.as_str()).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(res)) = refused else {
        panic!("a third agent socket was not refused: {refused:?}");
    };
    assert_eq!(res.status().as_u16(), 503);
    let body: Value = serde_json::from_slice(res.body().as_deref().unwrap_or_default()).unwrap();
    assert_eq!(body["error"], "unavailable", "{body}");
    drop(first);
    crate::support::eventually("a socket once one closed", || async {
        tokio_tungstenite::connect_async(url.as_str()).await.ok()
    })
    .await;
}

async fn get(d: &Daemon, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut req = d.client.get(format!("{}{path}", d.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(kind, "application/json", "{path}");
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn refusals_are_json_and_the_token_comes_before_the_path() {
    let (_dir, _sink, d) = start("", "").await;
    for path in [
        "/v1/conversations/%ff",
        "/v1/queue/%ff",
        "/v1/conversations/c0",
    ] {
        let (status, v) = get(&d, path, None).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (401, Some("unauthorized")),
            "{path}"
        );
        let (status, v) = get(&d, path, Some("wrong")).await;
        assert_eq!(status, 401, "{path}: {v}");
    }
    let (status, v) = get(&d, "/v1/conversations/%ff", Some(ADMIN)).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("bad_request")),
        "{v}"
    );
    // `c00` would name `c0`: not an id as Baton writes them, so a bad request, not a miss.
    for bad in ["c00", "c+0", "0", "cx"] {
        let (status, v) = get(&d, &format!("/v1/conversations/{bad}"), Some(ADMIN)).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some("bad_request")),
            "{bad}"
        );
    }
    let (status, v) = get(&d, "/v1/conversations/c0", Some(ADMIN)).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (404, Some("not_found")),
        "{v}"
    );
    // What an extractor refuses on its own: a GET to the agent socket that is no upgrade.
    let (status, v) = get(&d, "/v1/agents/ws", None).await;
    assert!((400..500).contains(&status), "{status} {v}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    // Before any handler: a request line hyper cannot parse gets hyper's own bare 400.
    let mut tcp = connect(&d).await;
    tcp.write_all(b"NOT HTTP AT ALL\r\n\r\n").await.unwrap();
    let (_, got) = until_closed(&mut tcp, SLACK).await;
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 400"), "{got}");
}
