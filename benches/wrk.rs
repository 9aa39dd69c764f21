//! The webhook's end-to-end path against a bare handler, both driven by one external load
//! generator (`wrk`), in the same run: what Baton costs over parsing the body and answering.
//!
//! Baton runs in-process with the e2e bench's config (`support::webhook_config`): each DM is
//! made durable (a sync covers it) and answered by the bot before its `200`. The bare server
//! is axum on another port whose handler parses the body with the webhook's own parser (the
//! same checks) and answers `{"status":"accepted"}`. `benches/wrk.lua` gives every request its own
//! event id (run, wrk thread, counter) and counts the answers' bodies: a duplicate would be
//! answered on a cheaper path and flatter Baton's figure, so the bench fails on any duplicate,
//! any non-2xx or any other body from Baton.
//!
//! `cargo bench --bench wrk` — env: BENCH_SECS (10), BENCH_CONNS (64), BENCH_THREADS (1),
//! BENCH_WARMUP (2 s, per target), BENCH_CUSTOMERS (10000 per wrk thread). Without `wrk` on
//! the PATH it says so and exits 0. wrk shares the machine's cores with the servers.

// wrk is the client here: the in-process webhook client and percentiles are other benches'.
#[allow(dead_code)]
mod support;

/// The allocator the binary ships with (see `src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::serve::ListenerExt;
use axum::Json;
use baton::app::App;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Command;
use support::{env, webhook_config};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/wrk.lua");
const PATH: &str = "/v1/channels/webhook/messages";

/// The bare handler: parse the body with Baton's own parser (the same checks), answer as the
/// webhook answers a new DM.
async fn bare(body: Bytes) -> (StatusCode, Json<Value>) {
    match baton::channels::webhook::parse(&body) {
        Ok(_) => (StatusCode::OK, Json(json!({ "status": "accepted" }))),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": e.to_string() })),
        ),
    }
}

/// One wrk run's figures, from the script's `wrk-result` line.
struct Figures {
    fields: HashMap<String, u64>,
}

impl Figures {
    fn get(&self, key: &str) -> u64 {
        self.fields.get(key).copied().unwrap_or(0)
    }

    fn rate(&self) -> f64 {
        self.get("requests") as f64 / (self.get("duration_us").max(1) as f64 / 1e6)
    }

    fn ms(&self, key: &str) -> f64 {
        self.get(key) as f64 / 1000.0
    }
}

struct Load {
    secs: u64,
    warmup: u64,
    conns: u64,
    threads: u64,
    customers: u64,
}

impl Load {
    /// Runs wrk for `secs` against `addr`; `run` labels the event ids, so no two runs share one.
    fn wrk(&self, addr: SocketAddr, run: &str, secs: u64) -> Figures {
        let output = Command::new("wrk")
            .args([
                &format!("-t{}", self.threads),
                &format!("-c{}", self.conns),
                &format!("-d{secs}s"),
                "--latency",
                "-s",
                SCRIPT,
                &format!("http://{addr}{PATH}"),
                "--",
                run,
                &self.customers.to_string(),
            ])
            .output()
            .expect("running wrk");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "wrk failed: {}\n{text}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("wrk-result "))
            .unwrap_or_else(|| panic!("no wrk-result line in wrk's output:\n{text}"));
        let fields = line
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
            .collect();
        Figures { fields }
    }

    /// A warm-up, then the measured run.
    fn measure(&self, name: &str, addr: SocketAddr) -> Figures {
        if self.warmup > 0 {
            self.wrk(addr, &format!("{name}-warmup"), self.warmup);
        }
        let f = self.wrk(addr, name, self.secs);
        println!(
            "  {name:<5}: {:>8.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
             non-2xx {}, socket errors {}; bodies: accepted {}, duplicate {}, other {}",
            f.rate(),
            f.ms("p50_us"),
            f.ms("p99_us"),
            f.ms("max_us"),
            f.get("non2xx"),
            f.get("socket_errors"),
            f.get("accepted"),
            f.get("duplicate"),
            f.get("other"),
        );
        f
    }
}

fn wrk_installed() -> bool {
    Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("wrk"))
}

fn main() {
    if !wrk_installed() {
        println!("wrk bench skipped: `wrk` is not on the PATH (Debian: apt-get install -y wrk)");
        return;
    }
    let load = Load {
        secs: env("BENCH_SECS", 10),
        warmup: env("BENCH_WARMUP", 2),
        conns: env("BENCH_CONNS", 64),
        threads: env("BENCH_THREADS", 1),
        customers: env("BENCH_CUSTOMERS", 10_000),
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let config = webhook_config(dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let running = rt.block_on(async { App::build(config).await.expect("build").spawn() });
    let bare_addr = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        // As the daemon's listener: without TCP_NODELAY small answers wait on delayed ACKs.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let app = axum::Router::new().route(PATH, axum::routing::post(bare));
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });

    println!(
        "wrk -t{} -c{} -d{}s --latency (after a {} s warm-up each), {} customers per thread",
        load.threads, load.conns, load.secs, load.warmup, load.customers
    );
    // The bare handler first: Baton's outbox may still be writing replies after its run.
    let bare = load.measure("bare", bare_addr);
    let baton = load.measure("baton", running.addr);
    println!(
        "  ratio baton/bare: {:.2} (requests/s)",
        baton.rate() / bare.rate().max(f64::MIN_POSITIVE)
    );

    rt.block_on(running.stop()).expect("a clean stop");
    let lines =
        std::fs::read_to_string(dir.path().join("out.jsonl")).map_or(0, |s| s.lines().count());
    println!("  outbound replies written by the outbox: {lines}");
    let clean = baton.get("non2xx") == 0
        && baton.get("duplicate") == 0
        && baton.get("other") == 0
        && baton.get("accepted") == baton.get("requests");
    assert!(
        clean,
        "Baton's answers were not all new DMs accepted: the figure does not measure the e2e path"
    );
}
