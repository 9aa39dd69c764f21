//! The durable scheduler with 1,000,000 conversations holding pending deadlines: the
//! scheduler's memory, the time to rebuild its index at start-up, the daemon's whole start-up,
//! and how late deadlines fire while the daemon takes 5,000 DMs/s.
//!
//! `cargo bench --bench timeouts` — env: BENCH_CONVERSATIONS (default 1000000), BENCH_RATE
//! (DMs/s, 5000), BENCH_SECS (30), BENCH_CONNS (50). The conversations are written straight
//! into a fresh store (as a checkpoint would leave them), each in the bot's hands with a
//! deadline an hour out; the daemon then starts on that store. During the load, one DM in ten
//! comes from a new customer and matches a rule whose `bot_unresolved` is 5 s, so deadlines
//! come due all through the run; the daemon reports how late it handled each (`/v1/stats`).
//! The load generator shares the machine's 2 cores with the daemon.

mod support;

use baton::app::App;
use baton::domain::{AccountId, Channel, Conversation, ConversationId, Customer, CustomerId};
use baton::domain::{Timer, Timestamp};
use baton::engine::Schedule;
use baton::store::{ConversationRecord, Store, WriteSet};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::{env, pct_ms};

/// Counts heap bytes in use, so the scheduler's own memory can be measured.
struct Counting;

static HEAP: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HEAP.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

const TEXTS: &[&str] = &[
    "where is my order?",
    "I forgot my password",
    "hello",
    "I have a question about my bill",
];

fn main() {
    let n = env("BENCH_CONVERSATIONS", 1_000_000);
    let rate = env("BENCH_RATE", 5_000);
    let secs = env("BENCH_SECS", 30);
    let conns = env("BENCH_CONNS", 50);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;

    // 1. A store as a checkpoint leaves it: n conversations with the bot, each with a deadline.
    let t = Instant::now();
    populate(&data, n, now_ms);
    println!(
        "timeouts: {n} conversations with pending deadlines written in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // 2. Start-up's read of the store, then the index built from what it read, and its heap.
    {
        let t = Instant::now();
        let store = Store::open(&data, 64 << 20).expect("store");
        let opened = t.elapsed();
        let t = Instant::now();
        let loaded = store.load().expect("load");
        let read = t.elapsed();
        drop(store);
        let t = Instant::now();
        let deadlines: Vec<(Timestamp, Timer)> = loaded
            .conversations
            .iter()
            .filter_map(|r| {
                Some((
                    r.conversation.deadline?,
                    Timer::Conversation(r.conversation.id),
                ))
            })
            .chain(loaded.deadlines.iter().copied())
            .collect();
        let collected = t.elapsed();
        drop(loaded);
        // The list is freed as the index is built: count it back in.
        let list = deadlines.capacity() * std::mem::size_of::<(Timestamp, Timer)>();
        let heap = HEAP.load(Ordering::Relaxed);
        let t = Instant::now();
        let schedule = Schedule::new(deadlines);
        let built = t.elapsed();
        let bytes = (HEAP.load(Ordering::Relaxed) + list).saturating_sub(heap);
        println!(
            "  index rebuild at start-up: {:.2} s for {} deadlines ({:.2} s collecting them from \
             the loaded conversations, {:.2} s building the ordered index)",
            (collected + built).as_secs_f64(),
            schedule.stats().pending,
            collected.as_secs_f64(),
            built.as_secs_f64(),
        );
        println!(
            "  for comparison, reading the {n} conversations themselves: {:.2} s (store open {:.2} s)",
            read.as_secs_f64(),
            opened.as_secs_f64()
        );
        println!(
            "  scheduler memory: {:.1} MiB ({:.0} bytes a deadline)",
            mib(bytes),
            bytes as f64 / n as f64
        );
    }

    if std::env::var("BENCH_INDEX_ONLY").is_ok() {
        return;
    }

    // 3. The daemon on that store, under load.
    let root = env!("CARGO_MANIFEST_DIR");
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    for f in std::fs::read_dir(Path::new(root).join("rules")).expect("shipped rules") {
        let f = f.expect("entry").path();
        std::fs::copy(&f, rules.join(f.file_name().expect("name"))).expect("copy");
    }
    std::fs::write(
        rules.join("99-bench.toml"),
        "[[rule]]\nname = \"bench-ping\"\nkeywords = [\"ping\"]\nreply = \"pong\"\n\
         timeouts = { bot_unresolved = \"5s\" }\n",
    )
    .expect("bench rule");
    let config = support::daemon_config(&data, &rules, &dir.path().join("out.jsonl"));
    let daemon_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let t = Instant::now();
    let running = daemon_rt.block_on(async { App::build(config).await.expect("build").spawn() });
    println!(
        "  daemon start-up (checkpoint of {n} conversations, index, queues): {:.1} s; \
         RSS {:.0} MiB, heap {:.0} MiB",
        t.elapsed().as_secs_f64(),
        mib(rss()),
        mib(HEAP.load(Ordering::Relaxed))
    );
    let base = format!("http://{}", running.addr);

    let load_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (mut lat, sent, elapsed) = load_rt.block_on(load(&base, n, rate, secs, conns));
    // The last pings come due 5 s after they were sent.
    std::thread::sleep(Duration::from_secs(6));
    let stats = load_rt.block_on(stats(&base));
    lat.sort_unstable();
    let pct = |p: f64| pct_ms(&lat, p);
    println!(
        "  load: {:.0} DMs/s for {:.0} s ({sent} acknowledged), ack p50 {:.2} ms, p99 {:.2} ms",
        sent as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99)
    );
    let s = &stats["scheduler"];
    println!(
        "  deadlines fired under load: {}, late p50 {} ms, p99 {} ms, max {} ms; {} pending",
        s["fired"], s["late_p50_ms"], s["late_p99_ms"], s["late_max_ms"], s["pending"]
    );
    daemon_rt.block_on(running.stop()).expect("a clean stop");
}

/// Writes `n` conversations, each holding a deadline, in batches (as checkpoints would).
fn populate(data: &Path, n: u64, now_ms: u64) {
    let store = Store::open(data, 64 << 20).expect("store");
    let now = Timestamp(now_ms);
    let deadline = Timestamp(now_ms + 3_600_000);
    let mut set = WriteSet::default();
    for i in 0..n {
        let customer = Customer {
            channel: Channel::Webhook,
            id: CustomerId(format!("p{i}")),
            name: Some("Jo".into()),
        };
        let mut c = Conversation::new(ConversationId(i), AccountId::from("acme"), customer, now);
        c.greeted = true;
        c.bot_since = Some(now);
        c.deadline = Some(deadline);
        let record = ConversationRecord {
            conversation: c,
            turns: Vec::new().into(),
        };
        set.checkpointed(&record, false);
        if i % 10_000 == 9_999 {
            store.write(std::mem::take(&mut set)).expect("write");
        }
    }
    set.history_indexed();
    store.write(set).expect("write");
    store.barrier().expect("barrier");
}

async fn stats(base: &str) -> serde_json::Value {
    let client = reqwest::Client::new();
    client
        .get(format!("{base}/v1/stats"))
        .bearer_auth("bench")
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats JSON")
}

/// `rate` DMs a second over `conns` connections for `secs` (after 2 s of warm-up): nine in
/// ten from existing customers, one in ten a "ping" from a new one. Returns the measured ack
/// latencies (µs), how many were acknowledged while measuring, and for how long.
async fn load(base: &str, n: u64, rate: u64, secs: u64, conns: u64) -> (Vec<u32>, u64, Duration) {
    let addr = base.trim_start_matches("http://");
    let period = Duration::from_secs_f64(conns as f64 / rate as f64);
    let m = support::drive(addr, conns, secs, Some(period), move |k| {
        let (customer, text) = if k % 10 == 0 {
            (format!("n{k}"), "ping")
        } else {
            let who = k.wrapping_mul(2_654_435_761) % n;
            (format!("p{who}"), TEXTS[(k % TEXTS.len() as u64) as usize])
        };
        format!(
            r#"{{"id":"evt-{k}","account":"acme","customer":{{"id":"{customer}"}},"text":"{text}"}}"#
        )
    })
    .await;
    let sent = m.latencies.len() as u64;
    (m.latencies, sent, m.took)
}
