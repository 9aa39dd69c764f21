//! The agent console's figures in a real browser: how soon `/console/` paints and what it
//! costs on the wire, and how soon an offer shows on the page once the escalating DM is
//! acknowledged. A real daemon in this process on 127.0.0.1:0, headless Chromium over
//! WebDriver (chromedriver), loopback only.
//!
//! `cargo bench --bench console` — env: BENCH_LOADS (default 20 navigations), BENCH_OFFERS
//! (default 200 offers). Without Chromium and chromedriver it says how to install them and
//! exits 0. Every wait has a deadline, so a stuck page fails the bench instead of hanging it.
//!
//! Paint times are the Paint Timing entries' `startTime` (ms after navigation start, as coarse
//! as Chromium makes them). The offer figure starts when the bench reads the wall clock right
//! after the `200` and ends at the page's wall-clock reading; it may be negative, since the
//! offer leaves before the acknowledgement. The two clocks are one machine's, and the bench
//! prints the bounds it measured on their offset rather than correcting by a guess.

// The shared load generator; its microsecond percentiles are not needed here.
#[allow(dead_code)]
mod support;

use baton::app::App;
use baton::config::Config;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::{add_agent, env, Webhook};

/// How long any one wait (a page, an offer, a script) may take before the bench gives up.
const PATIENCE: Duration = Duration::from_secs(10);

const INSTALL: &str =
    "the console bench needs Chromium and its WebDriver: apt-get install chromium chromium-driver";

/// A running `chromedriver` in a process group of its own, so the browsers it started end
/// with it.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

impl Driver {
    /// Starts chromedriver on a free port; another process may take the port first, so it
    /// tries a few.
    async fn start(binary: &Path) -> Driver {
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let mut cmd = Command::new(binary);
            cmd.arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
            let mut driver = Driver {
                child: cmd.spawn().expect("chromedriver starts"),
                url: format!("http://127.0.0.1:{port}"),
            };
            if driver.ready().await {
                return driver;
            }
        }
        panic!("chromedriver did not start");
    }

    async fn ready(&mut self) -> bool {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(r) = client.get(format!("{}/status", self.url)).send().await {
                let v: Value = r.json().await.unwrap_or_default();
                if v["value"]["ready"] == true {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// A headless Chromium session with a fresh profile (an empty cache).
    async fn session(&self, chrome: &Path) -> Client {
        let mut args = vec![
            "--headless=new",
            "--disable-gpu",
            "--window-size=1280,800",
            "--disable-dev-shm-usage",
        ];
        // Chromium refuses to sandbox itself as root (containers).
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if root {
            args.push("--no-sandbox");
        }
        let Value::Object(caps) = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chrome, "args": args},
        }) else {
            unreachable!("a JSON object literal")
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("a Chromium session: {e}"))
    }
}

/// Runs `script` in the page (awaiting the promise it returns, as WebDriver does).
async fn eval(c: &Client, script: &str, args: Vec<Value>) -> Value {
    tokio::time::timeout(PATIENCE * 2, c.execute(script, args))
        .await
        .unwrap_or_else(|_| panic!("script took too long: {script}"))
        .unwrap_or_else(|e| panic!("script {script:?}: {e}"))
}

/// Milliseconds since the epoch on this machine's wall clock, as the page reads it
/// (`performance.timeOrigin + performance.now()`).
fn wall_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
        * 1000.0
}

/// p50, p99 and max of `v`, sorted in place.
fn pcts(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    (at(0.5), at(0.99), at(1.0))
}

fn line(what: &str, v: &mut [f64]) {
    let (p50, p99, max) = pcts(v);
    println!("  {what}: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (Some(driver_bin), Some(chrome)) = (
        find(&["chromedriver"]),
        find(&["chromium", "chromium-browser", "google-chrome"]),
    ) else {
        println!("skipped: {INSTALL}");
        return;
    };
    let loads = env("BENCH_LOADS", 20) as usize;
    let offers = env("BENCH_OFFERS", 200) as usize;

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

    let driver = Driver::start(&driver_bin).await;
    let client = driver.session(&chrome).await;

    let (mut fcp, mut fp, bytes, cached) = console_load(&client, &base, loads).await;
    println!("console load: {loads} navigations to /console/ (each from about:blank), headless Chromium, loopback");
    line("first-contentful-paint", &mut fcp);
    line("first-paint", &mut fp);
    println!(
        "  bytes transferred per load (document + resources, transferSize): {bytes} ({:.1} KB); loads with a resource from cache: {cached}",
        bytes as f64 / 1024.0
    );

    let token = add_agent(&base).await;
    let figures = offer_to_visible(&client, &base, &token, offers).await;
    let Figures {
        mut inserted,
        mut framed,
        drift,
    } = figures;
    println!("offer -> visible: {offers} escalating DMs, one agent signed in and available in the console");
    println!("  from the webhook POST's 200 (read in Rust, wall clock) to, in the page (performance.timeOrigin + now()):");
    line("offer card inserted (MutationObserver)", &mut inserted);
    line("next animation frame after it (rAF)", &mut framed);
    println!("  page clock minus bench clock: {drift}");

    let _ = client.close().await;
    drop(driver);
    running.stop().await.expect("a clean stop");
}

/// `loads` navigations to `/console/`, each from `about:blank`: the paint times the Paint
/// Timing API reports, and the bytes the last load moved. Returns (fcp, fp, bytes, loads that
/// took anything from the cache).
async fn console_load(c: &Client, base: &str, loads: usize) -> (Vec<f64>, Vec<f64>, u64, usize) {
    // Waits for both paint entries (they can land after `load`), then sums the wire bytes.
    let read = r#"
        return new Promise((done, fail) => {
            const t = setTimeout(() => fail(new Error('no paint entries')), 10000);
            const check = () => {
                const p = Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]));
                if (p['first-contentful-paint'] === undefined || p['first-paint'] === undefined) return false;
                clearTimeout(t);
                const nav = performance.getEntriesByType('navigation')[0];
                const res = performance.getEntriesByType('resource');
                done({
                    fcp: p['first-contentful-paint'], fp: p['first-paint'],
                    bytes: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
                    cached: res.some(r => r.transferSize === 0) || nav.transferSize === 0,
                });
                return true;
            };
            if (!check()) new PerformanceObserver((_, o) => { if (check()) o.disconnect(); })
                .observe({ type: 'paint', buffered: true });
        });
    "#;
    let (mut fcp, mut fp, mut bytes, mut cached) = (Vec::new(), Vec::new(), 0, 0);
    for _ in 0..loads {
        c.goto("about:blank").await.expect("about:blank");
        tokio::time::timeout(PATIENCE, c.goto(&format!("{base}/console/")))
            .await
            .expect("the console loads in time")
            .expect("the console loads");
        let v = eval(c, read, vec![]).await;
        fcp.push(v["fcp"].as_f64().expect("fcp"));
        fp.push(v["fp"].as_f64().expect("fp"));
        bytes = v["bytes"].as_u64().unwrap_or_default();
        cached += usize::from(v["cached"] == true);
    }
    (fcp, fp, bytes, cached)
}

struct Figures {
    inserted: Vec<f64>,
    framed: Vec<f64>,
    drift: String,
}

/// Runs until `js` (a script returning true or false) is true, or fails after [`PATIENCE`].
async fn until(c: &Client, what: &str, js: &str) {
    let deadline = Instant::now() + PATIENCE;
    while eval(c, js, vec![]).await != json!(true) {
        assert!(Instant::now() < deadline, "not within {PATIENCE:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Bounds on the page's wall clock minus the bench's: the page's reading lies between the
/// bench's readings before and after each WebDriver round trip, so the offset lies in every
/// such interval, and in their intersection.
async fn clock_offset(c: &Client) -> (f64, f64) {
    let (mut low, mut high) = (f64::MIN, f64::MAX);
    for _ in 0..20 {
        let before = wall_ms();
        let page = eval(
            c,
            "return performance.timeOrigin + performance.now();",
            vec![],
        )
        .await
        .as_f64()
        .expect("a time");
        let after = wall_ms();
        low = low.max(page - after);
        high = high.min(page - before);
    }
    (low, high)
}

/// Signs in through the console's own form, goes available, then `rounds` times: arms an
/// observer in the page, posts an escalating DM, notes the wall-clock time its `200` came
/// back, reads the page's times for the offer card, and clears the way (accept, resolve,
/// dismiss the notice) through the console's buttons.
async fn offer_to_visible(c: &Client, base: &str, token: &str, rounds: usize) -> Figures {
    c.goto(&format!("{base}/console/")).await.expect("console");
    eval(
        c,
        r#"const [t] = arguments;
           document.querySelector('[data-testid="token-input"]').value = t;
           document.querySelector('[data-testid="sign-in"]').click();"#,
        vec![json!(token)],
    )
    .await;
    until(
        c,
        "connected",
        r#"return document.querySelector('[data-testid="connection-state"]').dataset.state === 'connected';"#,
    )
    .await;
    eval(
        c,
        r#"const p = document.querySelector('[data-testid="presence-toggle"]');
           if (p.dataset.presence !== 'available') p.click();"#,
        vec![],
    )
    .await;
    until(
        c,
        "available",
        r#"return document.querySelector('[data-testid="presence-toggle"]').dataset.presence === 'available';"#,
    )
    .await;

    // Records, in the page, when an offer card enters the DOM (the observer's callback runs as
    // a microtask right after the console's frame handler inserts it) and when the next
    // animation frame after that begins (the frame that paints it).
    let arm = r#"
        window.__bench = { inserted: null, framed: null };
        const o = new MutationObserver(() => {
            if (window.__bench.inserted !== null) return;
            if (!document.querySelector('[data-testid="offer-card"]')) return;
            window.__bench.inserted = performance.timeOrigin + performance.now();
            o.disconnect();
            requestAnimationFrame(() => { window.__bench.framed = performance.timeOrigin + performance.now(); });
        });
        o.observe(document.getElementById('offers'), { childList: true, subtree: true });
        return document.querySelectorAll('[data-testid="offer-card"]').length;
    "#;
    let read = r#"
        return new Promise((done, fail) => {
            const t0 = performance.now();
            const poll = () => {
                const b = window.__bench;
                if (b.framed !== null) {
                    const card = document.querySelector('[data-testid="offer-card"]');
                    return done({ inserted: b.inserted, framed: b.framed, cid: card.dataset.conversationId });
                }
                if (performance.now() - t0 > 10000) return fail(new Error('no offer card'));
                setTimeout(poll, 1);
            };
            poll();
        });
    "#;
    let accept = r#"const [cid] = arguments;
        document.querySelector(`[data-testid="offer-card"][data-conversation-id="${cid}"] [data-testid="offer-accept"]`).click();"#;
    let resolve = r#"const [cid] = arguments;
        const b = document.querySelector(`[data-testid="conversation"][data-conversation-id="${cid}"] [data-testid="resolve"]`);
        if (!b) return false;
        b.click();
        return true;"#;
    let gone = r#"const [cid] = arguments;
        const left = document.querySelector(`[data-testid="conversation"][data-conversation-id="${cid}"]`);
        if (left) return false;
        document.querySelectorAll('[data-testid="notice-dismiss"]').forEach(b => b.click());
        return true;"#;

    let addr = base.trim_start_matches("http://").to_owned();
    let mut webhook = Webhook::connect(&addr).await;
    let start = clock_offset(c).await;
    let (mut inserted, mut framed) = (Vec::new(), Vec::new());
    for i in 0..rounds {
        let waiting = eval(c, arm, vec![]).await;
        assert_eq!(waiting, json!(0), "no offer on screen before round {i}");
        let body = json!({"id": format!("e{i}"), "account": "acme",
                          "customer": {"id": format!("u{i}"), "name": "Jo"},
                          "text": "I want to talk to a human"});
        webhook.post(body.to_string()).await;
        let acked = wall_ms();
        let v = eval(c, read, vec![]).await;
        let at = |k: &str| v[k].as_f64().expect("a time") - acked;
        inserted.push(at("inserted"));
        framed.push(at("framed"));
        let cid = v["cid"].clone();
        eval(c, accept, vec![cid.clone()]).await;
        let deadline = Instant::now() + PATIENCE;
        while eval(c, resolve, vec![cid.clone()]).await != json!(true) {
            assert!(Instant::now() < deadline, "no panel for {cid} to resolve");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let deadline = Instant::now() + PATIENCE;
        while eval(c, gone, vec![cid.clone()]).await != json!(true) {
            assert!(Instant::now() < deadline, "{cid} not closed");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let end = clock_offset(c).await;
    Figures {
        inserted,
        framed,
        drift: format!(
            "within [{:+.3}, {:+.3}] ms at the start, [{:+.3}, {:+.3}] ms at the end (not subtracted)",
            start.0, start.1, end.0, end.1
        ),
    }
}
