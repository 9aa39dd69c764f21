//! What the load-generating benches share: settings from the environment, the webhook benches'
//! daemon config, one bare HTTP/1 connection that posts DMs to a channel's webhook, the load
//! loop over many of them (`drive`), and percentiles. (`twitter.rs` here is the
//! Twitter bench's fake platform, included by that bench alone.)

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A number from the environment, or `default`.
pub fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The webhook benches' daemon: the shipped rules, data and the JSON-lines sink (`out.jsonl`)
/// under `dir`, nothing else; so their figures compare.
#[allow(dead_code)]
pub fn webhook_config(dir: &Path) -> baton::config::Config {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    daemon_config(&dir.join("data"), &rules, &dir.join("out.jsonl"))
}

/// A bench daemon on `data` with the rules in `rules`, replies to the JSON-lines file `out`,
/// the one account `acme` and the admin token `bench`.
#[allow(dead_code)]
pub fn daemon_config(data: &Path, rules: &Path, out: &Path) -> baton::config::Config {
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nrules_dir = \"{}\"\n\
         [admin]\ntoken = \"bench\"\n[accounts.acme]\nname = \"Acme Mobile\"\n\
         [channels.webhook.outbound]\nsink = \"jsonl\"\npath = \"{}\"\n",
        data.display(),
        rules.display(),
        out.display(),
    );
    baton::config::Config::parse(&text, Path::new("bench.toml"), |_| None).expect("config")
}

/// The value at fraction `p` of sorted `v`, in milliseconds from microseconds.
pub fn pct_ms(v: &[u32], p: f64) -> f64 {
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)] as f64 / 1000.0
}

/// hyper's bare HTTP/1 connection: one keep-alive socket, no pool, so the load generator costs
/// little of the 2 cores the daemon also needs.
pub struct Webhook {
    addr: String,
    sender: SendRequest<Full<Bytes>>,
}

impl Webhook {
    /// Connects to `addr` (`host:port`).
    pub async fn connect(addr: &str) -> Webhook {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        Webhook {
            addr: addr.to_owned(),
            sender,
        }
    }

    /// Posts one DM (a generic webhook body); fails the bench unless it is acknowledged.
    /// Returns the time to the acknowledgement, in microseconds.
    pub async fn post(&mut self, body: String) -> u32 {
        let t = Instant::now();
        self.send("/v1/channels/webhook/messages", &[], body).await;
        t.elapsed().as_micros() as u32
    }

    /// Posts `body` to `path` with extra `headers` (a signature, say); fails the bench unless
    /// the answer is a 2xx, read to its end.
    pub async fn send(&mut self, path: &str, headers: &[(&str, &str)], body: String) {
        let mut req = hyper::Request::post(path)
            .header("host", &self.addr)
            .header("content-type", "application/json");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req.body(Full::new(Bytes::from(body))).expect("request");
        let res = self.sender.send_request(req).await.expect("request failed");
        let status = res.status();
        let _ = res.into_body().collect().await.expect("response body");
        assert!(status.is_success(), "request failed: {status}");
    }
}

/// What one load run measured: every acknowledgement's latency (µs), for how long, and the
/// CPU it took.
pub struct Measured {
    pub latencies: Vec<u32>,
    pub took: Duration,
    /// CPU time this whole process (daemon and load generator) used while measuring, where
    /// the system says (`/proc/self/stat`). (Not every bench that includes this module reads it.)
    #[allow(dead_code)]
    pub cpu: Option<Duration>,
}

/// CPU time (user and system) this process has used so far, from `/proc/self/stat` (Linux;
/// `None` elsewhere). Its ticks are USER_HZ, 100 a second on Linux.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name (which may hold spaces, so up to the last ')'), the fields
    // start at the third: utime and stime are the 14th and 15th.
    let mut fields = stat.get(stat.rfind(')')? + 2..)?.split(' ').skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// `conns` keep-alive connections to `addr` (`host:port`) posting DMs for `secs` after 2 s of
/// warm-up: the `n`th DM sent (counted across connections) has the body `body(n)`. Closed loop
/// (each connection sends again once answered), or paced at one DM per `pace` per connection.
#[allow(dead_code)]
pub async fn drive(
    addr: &str,
    conns: u64,
    secs: u64,
    pace: Option<Duration>,
    body: impl Fn(u64) -> String + Send + Sync + 'static,
) -> Measured {
    let body = Arc::new(body);
    let next = Arc::new(AtomicU64::new(0));
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (addr, next, measuring, stop, body) = (
            addr.to_owned(),
            next.clone(),
            measuring.clone(),
            stop.clone(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut webhook = Webhook::connect(&addr).await;
            let mut tick = pace.map(tokio::time::interval);
            let mut lat = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Some(tick) = &mut tick {
                    tick.tick().await;
                }
                let n = next.fetch_add(1, Ordering::Relaxed);
                let took = webhook.post(body(n)).await;
                if measuring.load(Ordering::Relaxed) {
                    lat.push(took);
                }
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let cpu_before = process_cpu();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    measuring.store(false, Ordering::Relaxed);
    let took = started.elapsed();
    let cpu = process_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("load task"));
    }
    Measured {
        latencies,
        took,
        cpu,
    }
}

/// Adds an agent of account `acme` with room for 50 conversations through the admin API (bearer
/// `bench`), and returns its token. (Not every bench that includes this module adds agents.)
#[allow(dead_code)]
pub async fn add_agent(base: &str) -> String {
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/v1/agents"))
        .bearer_auth("bench")
        .json(&serde_json::json!({"account": "acme", "name": "Bench",
            "profile_name": "Bench, Acme", "avatar": "https://example.com/b.png", "capacity": 50}))
        .send()
        .await
        .expect("agent")
        .json()
        .await
        .expect("json");
    created["token"].as_str().expect("a token").to_owned()
}
