//! The Twitter/X channel end to end, against a fake v1.1 API on loopback:
//!
//! 1. Account Activity deliveries, signed, each holding 1–10 DMs (uniformly) for distinct
//!    customers, paced open-loop at BENCH_RATE DMs/s: a delivery is sent at its scheduled time
//!    whether or not earlier ones were answered, and its latency runs from that time to the
//!    `200`, so a daemon falling behind shows as latency rather than as a slower generator.
//! 2. BENCH_INFLIGHT customers, each writing again as soon as the bot's reply reaches the fake
//!    API: the replies sent per second, and the time from a delivery's `200` to its reply's
//!    arrival.
//!
//! `cargo bench --bench twitter` — env: BENCH_SECS (default 10), BENCH_RATE (2000),
//! BENCH_CUSTOMERS (10000, part 1), BENCH_INFLIGHT (100, part 2). The load generator shares the
//! process (and the machine's cores) with the daemon, as `e2e` does; the fake API has a thread
//! of its own.

// Shared by every load-generating bench; this one posts through `send` rather than `post`.
#[path = "support/twitter.rs"]
mod fake;
#[allow(dead_code)]
mod support;

use baton::app::App;
use baton::config::Config;
use fake::{signature, FakeApi};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::{env, pct_ms, Webhook};
use tokio::sync::Semaphore;

const PATH: &str = "/v1/channels/twitter/webhook";
const HEADER: &str = "x-twitter-webhooks-signature";
const SECRET: &str = "bench-consumer-secret";
const BRAND: &str = "4242";
const WARM_UP: Duration = Duration::from_secs(2);
/// Open-loop deliveries waiting for a connection queue behind this many sockets.
const MAX_CONNS: usize = 256;
/// Every wait has an end: a run that cannot finish fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(60);

/// Texts every one of which a non-escalating, non-closing rule answers, so each DM gets a bot
/// reply and no conversation leaves the bot.
const TEXTS: &[&str] = &[
    "where is my order?",
    "what are your opening hours",
    "I forgot my password",
    "is there a network outage in my area?",
    "I have a question about my bill",
    "is roaming included abroad?",
];

fn main() {
    let secs = env("BENCH_SECS", 10);
    let rate = env("BENCH_RATE", 2000).max(1);
    let customers = env("BENCH_CUSTOMERS", 10_000).max(10);
    let inflight = env("BENCH_INFLIGHT", 100).max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let api = FakeApi::start();
    let config = config(dir.path(), &api.base);

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

    let secs_d = Duration::from_secs(secs);
    let paced = load_rt.block_on(paced(&addr, secs_d, rate, customers));
    paced.print(secs, rate, customers);
    // Part 2 starts on a quiet outbox: every reply part 1 caused has reached the fake.
    let drained = Instant::now();
    load_rt.block_on(until(|| api.received() as u64 >= paced.replies_due));
    println!(
        "  replies at the fake: {} of {} due ({:.1} s after the last 200 to drain)",
        api.received(),
        paced.replies_due,
        drained.elapsed().as_secs_f64()
    );

    let before = api.received();
    let flight = load_rt.block_on(in_flight(&addr, &api, secs_d, inflight));
    flight.print(secs, inflight, &api.arrivals()[before..]);

    daemon_rt.block_on(running.stop()).expect("a clean stop");
}

/// One account, `acme`, as Twitter user `BRAND`, whose bot profile has a platform id; the
/// shipped rules otherwise.
fn config(dir: &Path, api_base: &str) -> Config {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).expect("rules dir");
    let bot = std::fs::read_to_string(root.join("00-bot.toml")).expect("00-bot.toml");
    let bot = bot.replacen("profile = { name", "profile = { id = \"100001\", name", 1);
    assert!(
        bot.contains("id = \"100001\""),
        "the bot's profile line moved"
    );
    std::fs::write(rules.join("00-bot.toml"), bot).expect("write rules");
    std::fs::copy(root.join("10-acme.toml"), rules.join("10-acme.toml")).expect("copy rules");
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nrules_dir = \"{}\"\n\
         [accounts.acme]\nname = \"Acme Mobile\"\n\
         [accounts.acme.twitter]\nuser_id = \"{BRAND}\"\n\
         access_token = {{ env = \"TW_TOKEN\" }}\naccess_secret = {{ env = \"TW_TOKEN_SECRET\" }}\n\
         [channels.twitter]\napi_base = \"{api_base}\"\nupload_base = \"{api_base}\"\n\
         consumer_key = {{ env = \"TW_KEY\" }}\nconsumer_secret = {{ env = \"TW_SECRET\" }}\n\
         [channels.webhook.outbound]\nsink = \"jsonl\"\npath = \"{}\"\n",
        dir.join("data").display(),
        rules.display(),
        dir.join("out.jsonl").display(),
    );
    let creds = |name: &str| match name {
        "TW_KEY" => Some("bench-consumer-key".to_owned()),
        "TW_SECRET" => Some(SECRET.to_owned()),
        "TW_TOKEN" => Some(format!("{BRAND}-bench-access-token")),
        "TW_TOKEN_SECRET" => Some("bench-access-secret".to_owned()),
        _ => None,
    };
    Config::parse(&text, Path::new("bench.toml"), creds).expect("config")
}

/// An Account Activity delivery to `BRAND` of one DM per `(event id, customer, text)`.
fn delivery(dms: &[(u64, String, &str)]) -> String {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let events: Vec<Value> = dms
        .iter()
        .map(|(id, customer, text)| {
            json!({
                "type": "message_create",
                "id": id.to_string(),
                "created_timestamp": now_ms.to_string(),
                "message_create": {
                    "target": { "recipient_id": BRAND },
                    "sender_id": customer,
                    "message_data": { "text": text },
                },
            })
        })
        .collect();
    let users: serde_json::Map<String, Value> = dms
        .iter()
        .map(|(_, c, _)| {
            (
                c.clone(),
                json!({ "id": c, "name": "Jo", "screen_name": "jo" }),
            )
        })
        .chain([(
            BRAND.to_owned(),
            json!({ "id": BRAND, "name": "Acme Mobile", "screen_name": "acmemobile" }),
        )])
        .collect();
    json!({ "for_user_id": BRAND, "direct_message_events": events, "users": users }).to_string()
}

/// Posts a delivery, signed; fails the bench unless it is acknowledged.
async fn post(conn: &mut Webhook, body: String) {
    let sig = signature(SECRET, body.as_bytes());
    conn.send(PATH, &[(HEADER, &sig)], body).await;
}

/// Waits (at most `PATIENCE`) for `done`.
async fn until(done: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One paced delivery: when it was due, when its `200` came, how many DMs it held.
struct Sent {
    due: Instant,
    done: Instant,
    dms: u64,
}

struct Paced {
    sent: Vec<Sent>,
    window: (Instant, Instant),
    /// What the bot owes the customers: a greeting and an answer to a first DM, an answer to
    /// every later one.
    replies_due: u64,
    conns: usize,
}

/// Keeps idle connections; a delivery due while all are busy opens another, up to `MAX_CONNS`.
struct Pool {
    addr: String,
    idle: Mutex<Vec<Webhook>>,
    slots: Semaphore,
    opened: AtomicU64,
}

async fn paced(addr: &str, secs: Duration, rate: u64, customers: u64) -> Paced {
    let pool = Arc::new(Pool {
        addr: addr.to_owned(),
        idle: Mutex::new(Vec::new()),
        slots: Semaphore::new(MAX_CONNS),
        opened: AtomicU64::new(0),
    });
    let mut rng = fastrand::Rng::with_seed(7);
    let mut tasks = Vec::new();
    let (mut dms, mut event) = (0u64, 0u64);
    let mut greeted = HashSet::new();
    let start = Instant::now() + Duration::from_millis(10);
    let window = (start + WARM_UP, start + WARM_UP + secs);
    loop {
        // The schedule is in DMs: delivery i is due once the DMs before it are due.
        let due = start + Duration::from_nanos(dms * 1_000_000_000 / rate);
        if due >= window.1 {
            break;
        }
        let k = rng.u64(1..=10);
        let batch: Vec<(u64, String, &str)> = (0..k)
            .map(|j| {
                let n = dms + j;
                event += 1;
                let customer = (100_000_000 + n % customers).to_string();
                (event, customer, TEXTS[rng.usize(..TEXTS.len())])
            })
            .collect();
        greeted.extend(batch.iter().map(|(_, c, _)| c.clone()));
        dms += k;
        let body = delivery(&batch);
        tokio::time::sleep_until(due.into()).await;
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let _slot = pool.slots.acquire().await.expect("semaphore");
            let idle = pool.idle.lock().expect("pool").pop();
            let mut conn = match idle {
                Some(c) => c,
                None => {
                    pool.opened.fetch_add(1, Ordering::Relaxed);
                    Webhook::connect(&pool.addr).await
                }
            };
            post(&mut conn, body).await;
            let done = Instant::now();
            pool.idle.lock().expect("pool").push(conn);
            Sent { due, done, dms: k }
        }));
    }
    let mut sent = Vec::with_capacity(tasks.len());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    for t in tasks {
        let s = tokio::time::timeout_at(deadline, t)
            .await
            .expect("deliveries still unanswered")
            .expect("a delivery failed");
        sent.push(s);
    }
    Paced {
        sent,
        window,
        replies_due: dms + greeted.len() as u64,
        conns: pool.opened.load(Ordering::Relaxed) as usize,
    }
}

impl Paced {
    fn print(&self, secs: u64, rate: u64, customers: u64) {
        let (from, to) = self.window;
        let span = (to - from).as_secs_f64();
        // Offered: due in the window; achieved: acknowledged in the window.
        let due: Vec<&Sent> = self
            .sent
            .iter()
            .filter(|s| s.due >= from && s.due < to)
            .collect();
        let acked: Vec<&Sent> = self
            .sent
            .iter()
            .filter(|s| s.done >= from && s.done < to)
            .collect();
        let mut lat: Vec<u32> = due
            .iter()
            .map(|s| (s.done - s.due).as_micros() as u32)
            .collect();
        lat.sort_unstable();
        let pct = |p: f64| pct_ms(&lat, p);
        let offered: u64 = due.iter().map(|s| s.dms).sum();
        let achieved: u64 = acked.iter().map(|s| s.dms).sum();
        println!(
            "twitter webhook, paced: {rate} DMs/s offered, 1-10 DMs per delivery, \
             {customers} customers, {secs} s measured"
        );
        println!(
            "  offered: {:.0} DMs/s in {:.0} deliveries/s",
            offered as f64 / span,
            due.len() as f64 / span
        );
        println!(
            "  achieved: {:.0} DMs/s in {:.0} deliveries/s ({} deliveries, {} connections)",
            achieved as f64 / span,
            acked.len() as f64 / span,
            due.len(),
            self.conns
        );
        println!(
            "  latency from the scheduled time to the 200: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            pct(0.50),
            pct(0.99),
            pct(1.0)
        );
    }
}

struct InFlight {
    /// From each measured delivery's `200` to its reply's arrival at the fake (µs).
    lat: Vec<u32>,
    window: (Instant, Instant),
}

async fn in_flight(addr: &str, api: &FakeApi, secs: Duration, customers: u64) -> InFlight {
    let start = Instant::now();
    let window = (start + WARM_UP, start + WARM_UP + secs);
    let events = Arc::new(AtomicU64::new(1_000_000_000));
    let mut tasks = Vec::new();
    for i in 0..customers {
        let customer = (200_000_000 + i).to_string();
        let mut replies = api.watch(&customer);
        let mut conn = Webhook::connect(addr).await;
        let events = events.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut first = true;
            let mut n = i as usize;
            while Instant::now() < window.1 {
                let text = TEXTS[n % TEXTS.len()];
                n += 1;
                let id = events.fetch_add(1, Ordering::Relaxed);
                post(&mut conn, delivery(&[(id, customer.clone(), text)])).await;
                let acked = Instant::now();
                // A first DM is greeted, then answered; the answer is the reply waited for.
                let mut arrived = acked;
                for _ in 0..if first { 2 } else { 1 } {
                    arrived = tokio::time::timeout(PATIENCE, replies.recv())
                        .await
                        .expect("no reply reached the fake")
                        .expect("the fake stopped");
                }
                first = false;
                if acked >= window.0 && acked < window.1 {
                    // The reply may beat the 200 to the load generator: that is 0.
                    lat.push(arrived.saturating_duration_since(acked).as_micros() as u32);
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("a customer failed"));
    }
    InFlight { lat, window }
}

impl InFlight {
    fn print(mut self, secs: u64, customers: u64, arrivals: &[Instant]) {
        let (from, to) = self.window;
        let mut per_second = vec![0u64; secs as usize];
        for at in arrivals.iter().filter(|&&at| at >= from && at < to) {
            let s = ((*at - from).as_secs() as usize).min(per_second.len() - 1);
            per_second[s] += 1;
        }
        let total: u64 = per_second.iter().sum();
        self.lat.sort_unstable();
        let pct = |p: f64| pct_ms(&self.lat, p);
        println!("twitter sends: {customers} conversations in flight, {secs} s measured");
        println!(
            "  DMs sent to the fake API: {:.0}/s ({total}; per second min {}, max {})",
            total as f64 / (to - from).as_secs_f64(),
            per_second.iter().min().copied().unwrap_or(0),
            per_second.iter().max().copied().unwrap_or(0)
        );
        println!(
            "  from the delivery's 200 to the reply at the fake: p50 {:.2} ms, p99 {:.2} ms ({} replies)",
            pct(0.50),
            pct(0.99),
            self.lat.len()
        );
    }
}
