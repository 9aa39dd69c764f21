//! Handoff latency on loopback: an escalating DM's acknowledgement → the `offer` frame at an
//! idle, available agent; and an agent's `send` → its `sent` receipt, which the engine emits
//! once the message's turn is written to the store (in the outbox).
//!
//! With BENCH_HISTORY=N, one more run: a customer who wrote N DMs before (each answered by
//! the bot) escalates, BENCH_LONG_ROUNDS times (default 20): what an offer costs when the
//! conversation has a long history, and how large its frame is.
//!
//! `cargo bench --bench handoff` — env: BENCH_ROUNDS (default 2000), BENCH_HISTORY (0),
//! BENCH_LONG_ROUNDS (20).

#[allow(dead_code)]
mod support;

use baton::app::App;
use baton::config::Config;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn frame(ws: &mut Ws) -> Value {
    loop {
        match ws.next().await.expect("socket ended").expect("frame") {
            Message::Text(t) => return serde_json::from_str(&t).expect("json"),
            _ => continue,
        }
    }
}

async fn until(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let f = frame(ws).await;
        if f["type"] == kind {
            return f;
        }
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = env!("CARGO_MANIFEST_DIR");
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nrules_dir = \"{root}/rules\"\n[admin]\ntoken = \"bench\"\n\
         [accounts.acme]\nname = \"Acme\"\n[channels.webhook.outbound]\nsink = \"jsonl\"\npath = \"{}\"\n",
        dir.path().join("data").display(),
        dir.path().join("out.jsonl").display()
    );
    let config = Config::parse(&text, Path::new("bench.toml"), |_| None).expect("config");
    let running = App::build(config).await.expect("build").spawn();
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::new();
    let token = support::add_agent(&base).await;
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{}/v1/agents/ws", base.replace("http", "ws")))
            .await
            .expect("connect");
    ws.send(Message::text(
        json!({"type": "auth", "token": token}).to_string(),
    ))
    .await
    .expect("auth");
    until(&mut ws, "welcome").await;
    ws.send(Message::text(r#"{"type":"presence","status":"available"}"#))
        .await
        .expect("presence");

    let (mut to_offer, mut to_sent, mut request_to_offer) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        let dm = json!({"id": format!("b{i}"), "account": "acme", "customer": {"id": format!("c{i}")},
                        "text": "I want to talk to a human"});
        let asked = Instant::now();
        let res = http
            .post(format!("{base}/v1/channels/webhook/messages"))
            .json(&dm)
            .send()
            .await
            .expect("dm");
        assert!(res.status().is_success());
        let acked = Instant::now();
        let offer = until(&mut ws, "offer").await;
        to_offer.push(acked.elapsed().as_secs_f64() * 1000.0);
        request_to_offer.push(asked.elapsed().as_secs_f64() * 1000.0);
        let conv = offer["conversation"]["id"].clone();
        ws.send(Message::text(
            json!({"type": "accept", "conversation_id": conv}).to_string(),
        ))
        .await
        .expect("accept");
        until(&mut ws, "assigned").await;
        let t = Instant::now();
        ws.send(Message::text(
            json!({"type": "send", "conversation_id": conv, "text": "Hello!", "client_id": "x"})
                .to_string(),
        ))
        .await
        .expect("send");
        until(&mut ws, "sent").await;
        to_sent.push(t.elapsed().as_secs_f64() * 1000.0);
        ws.send(Message::text(
            json!({"type": "resolve", "conversation_id": conv}).to_string(),
        ))
        .await
        .expect("resolve");
        until(&mut ws, "closed").await;
    }
    println!("handoff: {rounds} rounds, one idle available agent, loopback");
    println!(
        "  escalating DM acknowledged -> offer frame: p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut to_offer, 0.5),
        pct(&mut to_offer, 0.99)
    );
    println!(
        "  (escalating DM request sent -> offer frame: p50 {:.2} ms, p99 {:.2} ms)",
        pct(&mut request_to_offer, 0.5),
        pct(&mut request_to_offer, 0.99)
    );
    println!(
        "  agent send -> sent (message written to the outbox): p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut to_sent, 0.5),
        pct(&mut to_sent, 0.99)
    );
    let history = support::env("BENCH_HISTORY", 0) as usize;
    if history > 0 {
        let rounds = support::env("BENCH_LONG_ROUNDS", 20) as usize;
        let dm = |id: String, text: &str| {
            let body =
                json!({"id": id, "account": "acme", "customer": {"id": "long"}, "text": text});
            let sent = http
                .post(format!("{base}/v1/channels/webhook/messages"))
                .json(&body)
                .send();
            async move { assert!(sent.await.expect("dm").status().is_success()) }
        };
        for i in 0..history {
            dm(format!("h{i}"), "hello").await;
        }
        let (mut to_offer, mut bytes) = (Vec::new(), 0usize);
        for i in 0..rounds {
            dm(format!("l{i}"), "I want to talk to a human").await;
            let acked = Instant::now();
            let offer = until(&mut ws, "offer").await;
            to_offer.push(acked.elapsed().as_secs_f64() * 1000.0);
            bytes = offer.to_string().len();
            let conv = offer["conversation"]["id"].clone();
            for (kind, reply) in [("accept", "assigned"), ("resolve", "closed")] {
                ws.send(Message::text(
                    json!({"type": kind, "conversation_id": conv}).to_string(),
                ))
                .await
                .expect("action");
                until(&mut ws, reply).await;
            }
        }
        println!(
            "  a customer with {history} earlier DMs escalates ({rounds} times): acknowledged -> offer p50 {:.2} ms, p99 {:.2} ms; offer frame {} KiB",
            pct(&mut to_offer, 0.5),
            pct(&mut to_offer, 0.99),
            bytes / 1024
        );
    }
    drop(ws);
    tokio::time::sleep(Duration::from_millis(100)).await;
    running.stop().await.expect("stop");
}
