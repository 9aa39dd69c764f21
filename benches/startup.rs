//! Start-up with a large history: 1,000,000 closed conversations at rest and 10,000 open ones,
//! written straight into a fresh store as checkpoints would have left them (by a child
//! process, so none of that memory is counted); then the daemon is built and spawned on it.
//! Prints the time to ready (`App::build` + `spawn`, then `/readyz` answering 200), the
//! process's RSS once ready and its peak (VmRSS, VmHWM), the time sled alone takes to open the
//! store (measured in another child), and how long a DM from an open conversation's customer
//! and from a closed one's take.
//!
//! `cargo bench --bench startup` — env: BENCH_CLOSED (default 1000000), BENCH_OPEN (10000).

#[path = "../tests/daemon/history/fill.rs"]
mod fill;
#[allow(dead_code)] // only the config
mod support;

/// The allocator the binary ships with (see `src/main.rs`): the RSS measured is the shipped one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use baton::app::App;
use std::path::Path;
use std::time::Instant;

/// A number from the environment, else `default`.
fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs this bench again as a child doing one `job` on `data`.
fn child(job: &str, data: &Path) {
    let exe = std::env::current_exe().expect("this bench's path");
    let status = std::process::Command::new(exe)
        .env("BENCH_STARTUP_JOB", job)
        .env("BENCH_STARTUP_DATA", data)
        .status()
        .expect("child");
    assert!(status.success(), "{job}: {status}");
}

fn main() {
    let closed = env("BENCH_CLOSED", 1_000_000);
    let open = env("BENCH_OPEN", 10_000);
    if let (Ok(job), Some(data)) = (
        std::env::var("BENCH_STARTUP_JOB"),
        std::env::var_os("BENCH_STARTUP_DATA"),
    ) {
        let data = Path::new(&data);
        let t = Instant::now();
        match job.as_str() {
            "fill" => {
                fill::write(data, closed, open);
                println!(
                    "startup: wrote {closed} closed + {open} open conversations in {:.1} s",
                    t.elapsed().as_secs_f64()
                );
            }
            _ => {
                let store = baton::store::Store::open(data, 64 << 20).expect("open");
                println!(
                    "startup: sled alone opens the store in {:.2} s",
                    t.elapsed().as_secs_f64()
                );
                drop(store);
            }
        }
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    child("fill", &data);
    child("open", &data);

    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let config = support::daemon_config(&data, &rules, &dir.path().join("out.jsonl"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let t = Instant::now();
    let running = rt.block_on(async { App::build(config).await.expect("build").spawn() });
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    rt.block_on(async {
        loop {
            let r = client.get(format!("{base}/readyz")).send().await;
            if r.is_ok_and(|r| r.status() == 200) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    });
    let ready = t.elapsed();
    println!(
        "startup: ready in {:.2} s; RSS {} MiB (peak {} MiB)",
        ready.as_secs_f64(),
        status_kib("VmRSS:") / 1024,
        status_kib("VmHWM:") / 1024
    );

    rt.block_on(async {
        let stats: serde_json::Value = client
            .get(format!("{base}/v1/stats"))
            .bearer_auth("bench")
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats json");
        println!(
            "startup: {} conversations, {} in memory",
            stats["conversations"], stats["resident"]
        );
        for (n, customer) in [
            ("still open", fill::customer(closed, closed)),
            ("at rest on disk", fill::customer(0, closed)),
        ] {
            let t = Instant::now();
            let body = serde_json::json!({"id": format!("b-{n}"), "account": "acme",
                "customer": {"id": customer, "name": "Jo"}, "text": "hello"});
            let r = client
                .post(format!("{base}/v1/channels/webhook/messages"))
                .json(&body)
                .send()
                .await
                .expect("dm");
            println!(
                "startup: a DM from the customer of a conversation {n}: {} in {:.1} ms",
                r.status(),
                t.elapsed().as_secs_f64() * 1e3
            );
        }
    });
    rt.block_on(running.stop()).expect("a clean stop");
}
