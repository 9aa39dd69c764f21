//! End-to-end throughput and latency of the generic webhook: each DM is stored durably (group
//! commit), answered by the bot, and its reply put in the outbox before the 200 comes back.
//!
//! `cargo bench --bench e2e` — env: BENCH_SECS (default 10), BENCH_CONNS (64),
//! BENCH_CUSTOMERS (10000), BENCH_PAIRS (1). Each run is made with `[metrics]` on and off
//! (on, off, off, on per pair) and the cost of metrics is printed in percent of throughput. The load generator runs in this process on its own runtime and
//! thread, so it competes with the daemon for the same 2 cores, as a same-machine load would.

mod support;

/// The allocator the binary ships with (see `src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use baton::app::App;
use std::time::{Duration, Instant};
use support::{env, pct_ms, webhook_config};

const TEXTS: &[&str] = &[
    "where is my order?",
    "what are your opening hours",
    "I forgot my password",
    "hello",
    "is there a network outage in my area?",
    "I have a question about my bill",
];

/// One measured run's figures.
struct Run {
    rate: f64,
    p50: f64,
    p99: f64,
}

fn main() {
    let secs = env("BENCH_SECS", 10);
    let conns = env("BENCH_CONNS", 64);
    let customers = env("BENCH_CUSTOMERS", 10_000);
    // Metrics on and off, in the order on, off, off, on (and again per extra pair), so a
    // drift of the shared machine over the run weighs on both alike.
    let pairs = env("BENCH_PAIRS", 1).max(1);
    println!("e2e webhook: {conns} connections, {customers} customers, {secs} s measured per run");
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for _ in 0..pairs {
        for metrics in [true, false, false, true] {
            let run = one(metrics, secs, conns, customers);
            if metrics {
                on.push(run)
            } else {
                off.push(run)
            }
        }
    }
    let mean = |runs: &[Run]| runs.iter().map(|r| r.rate).sum::<f64>() / runs.len() as f64;
    let (with, without) = (mean(&on), mean(&off));
    let cost = (without - with) / without * 100.0;
    println!("  metrics on:  {with:.0} DMs/s (mean of {} runs)", on.len());
    println!(
        "  metrics off: {without:.0} DMs/s (mean of {} runs)",
        off.len()
    );
    println!("  cost of metrics: {cost:.1}% of throughput (negative: within the noise)");
    // On a shared machine the runs above differ more than metrics cost; this isolates the
    // calls one DM makes (taken, acknowledged, two replies counted and sent) on one thread.
    let ns = calls_per_dm();
    let share = ns / (1e9 / without) * 100.0;
    println!(
        "  metric calls per DM, alone: {ns:.0} ns ({share:.2}% of a DM's time at the off rate)"
    );
}

/// Nanoseconds the metric calls of one DM take, measured over a million of them.
fn calls_per_dm() -> f64 {
    use baton::metrics::{ChannelLabel, DmOutcome, Metrics, SendResult};
    use std::hint::black_box;
    let m = Metrics::enabled();
    let n = 1_000_000u64;
    let started = Instant::now();
    for i in 0..n {
        let m = black_box(&m);
        m.dm(ChannelLabel::Webhook, DmOutcome::Accepted);
        m.acked(ChannelLabel::Webhook, Duration::from_micros(i % 5_000));
        m.bot_replies(2);
        m.send(ChannelLabel::Webhook, SendResult::Delivered);
        m.send(ChannelLabel::Webhook, SendResult::Delivered);
    }
    started.elapsed().as_nanos() as f64 / n as f64
}

/// Starts a daemon on a fresh data dir, with or without metrics, loads it, stops it.
fn one(metrics: bool, secs: u64, conns: u64, customers: u64) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = webhook_config(dir.path());
    config.metrics = metrics;

    let daemon_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let running = daemon_rt.block_on(async { App::build(config).await.expect("build").spawn() });
    let addr = running.addr.to_string();

    let load_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let m = load_rt.block_on(support::drive(&addr, conns, secs, None, move |n| {
        format!(
            r#"{{"id":"evt-{n}","account":"acme","customer":{{"id":"u{}","name":"Jo"}},"text":"{}"}}"#,
            n % customers,
            TEXTS[(n % TEXTS.len() as u64) as usize]
        )
    }));
    let (mut lat, elapsed, cpu) = (m.latencies, m.took, m.cpu);
    let total = lat.len() as u64;
    lat.sort_unstable();
    let pct = |p: f64| pct_ms(&lat, p);
    let run = Run {
        rate: total as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    };
    let mode = if metrics { "on " } else { "off" };
    // The whole process: the daemon and the load generator beside it.
    let cpu = cpu.map_or(String::new(), |cpu| {
        let per_dm = cpu.as_secs_f64() * 1e6 / total.max(1) as f64;
        format!(", CPU {per_dm:.0} µs per DM (daemon + load generator)")
    });
    println!(
        "  metrics {mode}: {:.0} DMs/s ({total} acknowledged), ack p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms{cpu}",
        run.rate,
        run.p50,
        run.p99,
        pct(1.0)
    );

    daemon_rt.block_on(running.stop()).expect("a clean stop");
    let lines =
        std::fs::read_to_string(dir.path().join("out.jsonl")).map_or(0, |s| s.lines().count());
    println!("    outbound replies written by the outbox: {lines}");
    run
}
