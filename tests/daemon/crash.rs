//! `kill -9` the real binary in the middle of traffic, start it again: nothing acknowledged is
//! lost, nothing is taken twice, and every acknowledged DM's replies go out at least once.

use crate::support::*;
use futures::StreamExt;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Starts `baton run` and returns it with the address it logged once listening.
fn spawn(config: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("baton exited before listening")
            .unwrap();
        if let Some((_, rest)) = line.split_once("baton is listening addr=") {
            break rest.trim().to_owned();
        }
    };
    // Keep draining stderr so the daemon never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, format!("http://{addr}"))
}

/// DM number `i`: one of 50 customers asks where their order is.
fn dm(i: usize) -> serde_json::Value {
    json!({"id": format!("k{i}"), "account": "acme",
        "customer": {"id": format!("u{}", i % 50)}, "text": "where is my order"})
}

#[tokio::test]
async fn kill_9_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let config = dir.path().join("baton.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nrules_dir = \"{}\"\n\
             [admin]\ntoken = \"{ADMIN}\"\n[accounts.acme]\nname = \"Acme\"\n\
             [channels.webhook.outbound]\nsink = \"jsonl\"\npath = \"{}\"\n",
            fixture_rules().display(),
            out.display()
        ),
    )
    .unwrap();
    let (mut child, base) = spawn(&config);
    let client = reqwest::Client::new();
    let acks = Arc::new(AtomicUsize::new(0));
    let (c, b, a) = (client.clone(), base.clone(), acks.clone());
    let post = move |i: usize| {
        let (client, base, acks) = (c.clone(), b.clone(), a.clone());
        async move {
            let res = client
                .post(format!("{base}/v1/channels/webhook/messages"))
                .json(&dm(i))
                .send()
                .await;
            let ok = matches!(res, Ok(r) if r.status().is_success());
            if ok {
                acks.fetch_add(1, Ordering::SeqCst);
            }
            ok.then_some(i)
        }
    };
    // Traffic in flight when the process dies: some requests are acknowledged, some not.
    let traffic = tokio::spawn(
        futures::stream::iter((0..2000).map(post))
            .buffer_unordered(32)
            .collect::<Vec<_>>(),
    );
    within(
        Duration::from_secs(20),
        "the daemon acknowledges 50 DMs",
        || std::future::ready((acks.load(Ordering::SeqCst) >= 50).then_some(())),
    )
    .await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let acked: Vec<usize> = traffic.await.unwrap().into_iter().flatten().collect();
    assert!(
        !acked.is_empty(),
        "nothing was acknowledged before the kill; the test proves nothing"
    );

    let (mut child, base) = spawn(&config);
    let client = reqwest::Client::new();
    for &i in &acked {
        let res: serde_json::Value = client
            .post(format!("{base}/v1/channels/webhook/messages"))
            .json(&dm(i))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            res["status"], "duplicate",
            "acknowledged event k{i} was lost"
        );
    }
    // Every acknowledged DM's reply reaches the sink (at least once) after the restart.
    let what = format!("a reply for each of {} acknowledged DMs", acked.len());
    eventually(&what, || {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        let replies = text
            .lines()
            .filter(|l| l.contains("track any order"))
            .count();
        std::future::ready((replies >= acked.len()).then_some(()))
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
}
