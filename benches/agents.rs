//! Agents at scale: the `baton` binary runs as its own process; this process adds N agents and
//! connects each over the WebSocket (auth, presence available), reading the daemon's resident
//! memory from /proc before and after; then M customers escalate and every conversation moves
//! through the queue (offered, accepted, resolved, events acknowledged by the agents).
//!
//! `cargo bench --bench agents` — env: BENCH_AGENTS (default 5000), BENCH_CONVERSATIONS (50000),
//! BENCH_MODE (`through`, the default: every conversation is resolved, so what stays is
//! history; `open`: agents accept but never resolve, so every conversation stays open, held or
//! queued, and the figure is the cost of an open conversation), BENCH_CACHE_MB (sled's page
//! cache, `[store] cache_capacity_mb`; the daemon's default when unset), BENCH_WRAP (a command
//! to run the daemon under, e.g. `heaptrack -o /tmp/baton`).
//!
//! The README's figure: `BENCH_MODE=open BENCH_CONVERSATIONS=100000 cargo bench --bench agents`.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::var("BENCH_AGENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let open = match std::env::var("BENCH_MODE").as_deref() {
        Ok("open") => true,
        Ok("through") | Err(_) => false,
        Ok(other) => panic!("BENCH_MODE is `through` or `open`, not `{other}`"),
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let root = env!("CARGO_MANIFEST_DIR");
    let config = dir.path().join("baton.toml");
    let store = match std::env::var("BENCH_CACHE_MB") {
        Ok(mb) => format!("[store]\ncache_capacity_mb = {mb}\n"),
        Err(_) => String::new(),
    };
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\nrules_dir = \"{root}/rules\"\n[admin]\ntoken = \"bench\"\n\
             [accounts.acme]\nname = \"Acme\"\n[channels.webhook.outbound]\nsink = \"jsonl\"\npath = \"out.jsonl\"\n{store}"
        ),
    )
    .expect("config");
    let wrap = std::env::var("BENCH_WRAP").unwrap_or_default();
    let mut command: Vec<String> = wrap.split_whitespace().map(str::to_owned).collect();
    command.push(env!("CARGO_BIN_EXE_baton").to_owned());
    let mut daemon = Command::new(&command[0])
        .args(&command[1..])
        .args(["run", "--config", config.to_str().expect("path")])
        .env("RUST_LOG", "warn,baton::app=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baton");
    let mut lines = BufReader::new(daemon.stderr.take().expect("stderr")).lines();
    let addr = loop {
        let line = lines.next().expect("baton exited").expect("log line");
        if let Some((_, a)) = line.split_once("baton is listening addr=") {
            break a.trim().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    // Under a wrapper the daemon is its child (or the wrapper itself, if it execs).
    let pid = daemon_pid(daemon.id());

    let http = reqwest::Client::new();
    let tokens: Vec<String> = futures::stream::iter(0..n)
        .map(|i| {
            let (http, addr) = (http.clone(), addr.clone());
            async move {
                let body = json!({"account": "acme", "name": format!("Agent {i}"),
                    "profile_name": format!("Agent {i}, Acme"), "avatar": "https://example.com/a.png",
                    "skills": ["billing"], "capacity": 3});
                let v: Value = http
                    .post(format!("http://{addr}/v1/agents"))
                    .bearer_auth("bench")
                    .json(&body)
                    .send()
                    .await
                    .expect("add agent")
                    .json()
                    .await
                    .expect("json");
                v["token"].as_str().expect("token").to_owned()
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid);

    let started = Instant::now();
    let mut sockets = Vec::with_capacity(n);
    // Only every socket's first frames are read here; `respond` takes over after.
    let mut auth_ms = Vec::with_capacity(n);
    for token in &tokens {
        let t = Instant::now();
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/v1/agents/ws"))
            .await
            .expect("connect");
        ws.send(Message::text(
            json!({"type": "auth", "token": token}).to_string(),
        ))
        .await
        .expect("auth");
        let welcome = ws.next().await.expect("welcome").expect("frame");
        assert!(
            welcome.to_text().unwrap_or("").contains("welcome"),
            "{welcome:?}"
        );
        ws.send(Message::text(r#"{"type":"presence","status":"available"}"#))
            .await
            .expect("presence");
        auth_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        sockets.push(ws);
    }
    let connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(pid);
    auth_ms.sort_by(f64::total_cmp);
    let pct = |p: f64| auth_ms[((auth_ms.len() as f64 * p) as usize).min(auth_ms.len() - 1)];
    println!(
        "agents: {n} agents, one idle authenticated WebSocket each (baton as its own process)"
    );
    println!(
        "  daemon RSS before connecting: {} KiB; after: {} KiB",
        before, after
    );
    println!(
        "  memory per idle agent connection: {:.1} KiB",
        after.saturating_sub(before) as f64 / n as f64
    );
    println!(
        "  connect + auth + welcome, one at a time: p50 {:.2} ms, p99 {:.2} ms ({:.1} s for all)",
        pct(0.5),
        pct(0.99),
        connect_secs
    );

    let m: usize = std::env::var("BENCH_CONVERSATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let resolved = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for ws in sockets {
        tokio::spawn(respond(ws, resolved.clone(), open));
    }
    let started = Instant::now();
    futures::stream::iter(0..m)
        .for_each_concurrent(64, |i| {
            let (http, addr) = (http.clone(), addr.clone());
            async move {
                let dm = json!({"id": format!("m{i}"), "account": "acme",
                    "customer": {"id": format!("cust{i}")}, "text": "I want to talk to a human"});
                let res = http
                    .post(format!("http://{addr}/v1/channels/webhook/messages"))
                    .json(&dm)
                    .send()
                    .await
                    .expect("dm");
                assert!(res.status().is_success());
            }
        })
        .await;
    let posted = started.elapsed().as_secs_f64();
    // Open: agents hold all they can take; the rest wait in line.
    let settled = if open { m.min(3 * n) } else { m };
    while resolved.load(std::sync::atomic::Ordering::Relaxed) < settled {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "conversations stopped moving"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let at_end = rss_kib(pid);
    if open {
        println!("  {m} conversations escalated in {posted:.1} s; {settled} held by agents (accepted, never resolved), the rest queued, in {all:.1} s");
    } else {
        println!("  {m} conversations escalated in {posted:.1} s; all offered, accepted and resolved in {all:.1} s ({:.0}/s)", m as f64 / all);
    }
    let what = if open { "open" } else { "resolved" };
    println!(
        "  daemon RSS after: {} KiB; memory per {what} conversation: {:.2} KiB",
        at_end,
        at_end.saturating_sub(after) as f64 / m as f64
    );
    if wrap.is_empty() {
        let _ = daemon.kill();
    } else {
        // A clean stop, so the wrapper (a profiler) writes what it gathered.
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    let _ = daemon.wait();
}

/// The daemon's own process: `pid`, or the `baton` process below it when it runs under a
/// wrapper.
fn daemon_pid(pid: u32) -> u32 {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.trim() == "baton" {
        return pid;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let mut todo = vec![pid];
        while let Some(p) = todo.pop() {
            let comm = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
            if p != pid && comm.trim() == "baton" {
                return p;
            }
            let children =
                std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")).unwrap_or_default();
            todo.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    pid
}

/// An agent's client: accepts every offer, resolves what it is assigned (unless `open`: then
/// an assignment is counted and kept), acknowledges events.
async fn respond(
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    resolved: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    open: bool,
) {
    let (mut tx, mut rx) = ws.split();
    while let Some(Ok(m)) = rx.next().await {
        let Ok(text) = m.to_text() else { continue };
        let Ok(f) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        let conv = f["conversation"]["id"].clone();
        let reply = match f["type"].as_str() {
            Some("offer") => Some(json!({"type": "accept", "conversation_id": conv})),
            Some("assigned") if open => {
                resolved.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                None
            }
            Some("assigned") => Some(json!({"type": "resolve", "conversation_id": conv})),
            Some("closed") => {
                resolved.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                None
            }
            _ => None,
        };
        if let Some(r) = reply {
            let _ = tx.send(Message::text(r.to_string())).await;
        }
        if let Some(seq) = f["seq"].as_u64() {
            let _ = tx
                .send(Message::text(
                    json!({"type": "ack", "seq": seq}).to_string(),
                ))
                .await;
        }
    }
}
