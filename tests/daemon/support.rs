//! Test harness: start a daemon, post DMs, read what the fake outbound sink received, and
//! wait for a condition (never for a fixed time).

pub mod agent;
pub mod twitter;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use baton::app::{App, Running};
use baton::config::Config;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// The fixture bot's answer to "where is my order".
pub const TRACK: &str = "You can track any order at https://example.com/track.";

pub fn fixture_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// A local stand-in for the platform that receives outbound messages.
pub struct FakeSink {
    pub url: String,
    rx: mpsc::UnboundedReceiver<Value>,
    /// Status codes to answer with before answering 200 again.
    pub script: Arc<Mutex<VecDeque<u16>>>,
}

#[derive(Clone)]
struct SinkState {
    tx: mpsc::UnboundedSender<Value>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

async fn receive(State(s): State<SinkState>, Json(v): Json<Value>) -> StatusCode {
    let code = s.script.lock().unwrap().pop_front().unwrap_or(200);
    if code == 200 {
        let _ = s.tx.send(v);
    }
    StatusCode::from_u16(code).unwrap()
}

impl FakeSink {
    pub async fn start() -> FakeSink {
        let (tx, rx) = mpsc::unbounded_channel();
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let state = SinkState {
            tx,
            script: script.clone(),
        };
        let app = Router::new().route("/out", post(receive)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/out", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeSink { url, rx, script }
    }

    /// The next delivered message; fails the test if none arrives within 10 s.
    pub async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
            .await
            .expect("no outbound message within 10 s")
            .expect("sink closed")
    }

    /// The next message's text.
    pub async fn next_text(&mut self) -> String {
        self.next().await["text"].as_str().unwrap().to_owned()
    }

    /// Reads `n` messages that are not the point of the test.
    pub async fn skip(&mut self, n: usize) {
        for _ in 0..n {
            self.next().await;
        }
    }

    /// Reads as many messages as `want` has texts and checks each, in order.
    pub async fn assert_texts(&mut self, want: &[&str]) {
        for (i, text) in want.iter().enumerate() {
            assert_eq!(self.next_text().await, *text, "message {i} of {want:?}");
        }
    }

    /// Asserts a customer the bot has greeted is owed nothing more: asks where the order is
    /// (as event `event`) and checks the bot's answer is the next message the platform gets.
    /// A conversation's messages go out in order, so anything still to come for this customer
    /// before that answer would arrive first, and fail here.
    pub async fn assert_nothing_more_for(&mut self, d: &Daemon, event: &str, customer: &str) {
        let asked = d.dm(event, customer, "where is my order").await;
        assert_eq!(asked, (200, accepted()));
        let m = self.next().await;
        assert_eq!(
            (m["recipient"].as_str(), m["text"].as_str()),
            (Some(customer), Some(TRACK)),
            "unexpected outbound message: {m}"
        );
    }

    /// Asserts nothing more was delivered, after giving the daemon time to misbehave. Only for
    /// tests on tokio's paused clock, where the wait is virtual and costs nothing; elsewhere use
    /// a barrier such as [`FakeSink::assert_nothing_more_for`].
    pub async fn assert_quiet(&mut self) {
        if let Ok(Some(v)) = tokio::time::timeout(Duration::from_millis(300), self.rx.recv()).await
        {
            panic!("unexpected outbound message: {v}");
        }
    }
}

/// A daemon on a fresh data dir (kept while the returned guard lives), delivering to a fresh
/// fake platform: how most tests begin.
pub async fn fresh() -> (tempfile::TempDir, FakeSink, Daemon) {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let d = Daemon::start(dir.path(), &sink.url).await;
    (dir, sink, d)
}

pub struct Daemon {
    pub base: String,
    pub client: reqwest::Client,
    pub running: Option<Running>,
}

pub const ADMIN: &str = "admin-test-token";

/// Accounts config over a copy of the fixture rules with `timeouts` as their `[timeouts]`.
pub fn with_timeouts(dir: &Path, timeouts: &str) -> String {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for f in ["00-bot.toml", "10-rules.toml"] {
        let text = std::fs::read_to_string(fixture_rules().join(f)).unwrap();
        std::fs::write(rules.join(f), text.replace("offer = \"30s\"", timeouts)).unwrap();
    }
    format!(
        "[accounts.acme]\nname = \"Acme Mobile\"\nrules_dir = \"{}\"",
        rules.display()
    )
}

/// Runs the real binary with `args` (off the runtime's threads: the daemon under test may share
/// them), without a `BATON_ADMIN_TOKEN` from the environment; whether it succeeded, its stdout
/// and its stderr.
pub async fn run_baton(args: Vec<String>) -> (bool, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(&args)
            .env_remove("BATON_ADMIN_TOKEN")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

/// One message in a JSON-lines outbound sink.
pub struct SinkLine {
    pub recipient: String,
    /// `c<conversation>-<seq>`.
    pub id: String,
    pub text: String,
}

/// The whole messages of a JSON-lines sink, in order. A line cut short by a kill is no
/// delivery (the watermark did not pass it, so it is sent again and read from its whole copy):
/// it is skipped, as is a missing file.
pub fn sink_lines(path: &Path) -> Vec<SinkLine> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|line| {
            Some(SinkLine {
                recipient: line["recipient"].as_str()?.to_owned(),
                id: line["id"].as_str()?.to_owned(),
                text: line["text"].as_str()?.to_owned(),
            })
        })
        .collect()
}

/// Copies a directory tree (a data dir, a fixture) file by file.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A daemon's config for tests that build the app in-process (their own file layer, their own
/// runtime): data in `data`, replies to `data`.jsonl.
pub fn jsonl_config(data: &Path) -> Config {
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nrules_dir = \"{}\"\n\
         [admin]\ntoken = \"{ADMIN}\"\n[accounts.acme]\nname = \"Acme\"\n\
         [channels.webhook.outbound]\nsink = \"jsonl\"\npath = \"{}\"\n",
        data.display(),
        fixture_rules().display(),
        data.with_extension("jsonl").display()
    );
    Config::parse(&text, Path::new("/nonexistent/baton.toml"), |_| None).unwrap()
}

pub fn config_text(data: &Path, sink_url: &str, extra: &str) -> String {
    config_with_accounts(
        data,
        sink_url,
        extra,
        "[accounts.acme]\nname = \"Acme Mobile\"",
    )
}

fn config_with_accounts(data: &Path, sink_url: &str, extra: &str, accounts: &str) -> String {
    format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nrules_dir = \"{}\"\n{extra}\n\
         [admin]\ntoken = \"{ADMIN}\"\n{accounts}\n\
         [channels.webhook.outbound]\nsink = \"http\"\nurl = \"{sink_url}\"\ntimeout = \"2s\"\n",
        data.display(),
        fixture_rules().display()
    )
}

impl Daemon {
    pub async fn start(data: &Path, sink_url: &str) -> Daemon {
        Daemon::start_with(data, sink_url, "", |_| None).await
    }

    pub async fn start_with(
        data: &Path,
        sink_url: &str,
        extra: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Daemon {
        let text = config_text(data, sink_url, extra);
        Daemon::launch(&text, env, baton::clock::Clock::system()).await
    }

    /// A daemon whose `[accounts…]` tables are given whole.
    pub async fn start_accounts(data: &Path, sink_url: &str, accounts: &str) -> Daemon {
        let clock = baton::clock::Clock::system();
        Daemon::start_clocked(data, sink_url, accounts, clock).await
    }

    /// A daemon on a given clock with its `[accounts…]` tables given whole: a test that
    /// restarts it passes the same clock, so the time it let pass meanwhile is seen.
    pub async fn start_clocked(
        data: &Path,
        sink_url: &str,
        accounts: &str,
        clock: baton::clock::Clock,
    ) -> Daemon {
        let text = config_with_accounts(data, sink_url, "", accounts);
        Daemon::launch(&text, |_| None, clock).await
    }

    /// Starts a daemon on `data`, or says why it would not start (the whole error chain).
    pub async fn try_start(data: &Path, sink_url: &str) -> Result<Daemon, String> {
        let text = config_text(data, sink_url, "");
        let config = Config::parse(&text, Path::new("/nonexistent/baton.toml"), |_| None).unwrap();
        let app = App::build_with_clock(config, baton::clock::Clock::system())
            .await
            .map_err(|e| format!("{e:#}"))?;
        let running = app.spawn();
        Ok(Daemon {
            base: format!("http://{}", running.addr),
            client: reqwest::Client::new(),
            running: Some(running),
        })
    }

    async fn launch(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
        clock: baton::clock::Clock,
    ) -> Daemon {
        let config = Config::parse(text, Path::new("/nonexistent/baton.toml"), env).unwrap();
        let running = App::build_with_clock(config, clock).await.unwrap().spawn();
        Daemon {
            base: format!("http://{}", running.addr),
            client: reqwest::Client::new(),
            running: Some(running),
        }
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("a clean stop");
        }
    }

    /// Posts a generic inbound message; returns the status and the JSON body.
    pub async fn dm(&self, id: &str, customer: &str, text: &str) -> (u16, Value) {
        let body = json!({"id": id, "account": "acme", "customer": {"id": customer, "name": "Jo"}, "text": text});
        self.post_raw(body.to_string().into_bytes(), &[]).await
    }

    pub async fn post_raw(&self, body: Vec<u8>, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = self
            .client
            .post(format!("{}/v1/channels/webhook/messages", self.base))
            .header("content-type", "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
        (status, value)
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    /// A GET without credentials.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.base);
        self.client.get(url).send().await.unwrap()
    }

    /// A GET of the admin API with the admin token.
    async fn admin_get(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.base);
        self.client
            .get(url)
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap()
    }

    pub async fn admin(&self, path: &str) -> (u16, Value) {
        let res = self.admin_get(path).await;
        (res.status().as_u16(), res.json().await.unwrap())
    }

    /// The whole export as the admin API streams it: one JSON line per message.
    pub async fn export(&self) -> String {
        let res = self.admin_get("/v1/export").await;
        assert_eq!(res.status().as_u16(), 200);
        res.text().await.unwrap()
    }

    /// A conversation's state ("bot", "queued", "offered", …), as the admin API tells it.
    pub async fn state(&self, conversation: &str) -> String {
        let (status, v) = self
            .admin(&format!("/v1/conversations/{conversation}"))
            .await;
        assert_eq!(status, 200, "{v}");
        v["conversation"]["state"].as_str().unwrap().to_owned()
    }

    /// Asserts the queue holds these (customer, reason) entries, front first.
    pub async fn assert_queue(&self, want: &[(&str, &str)]) {
        let q = self.queue().await;
        let got: Vec<(&str, &str)> = q.iter().map(|(c, r)| (c.as_str(), r.as_str())).collect();
        assert_eq!(got, want);
    }

    /// The conversation ids in the queue, front first.
    pub async fn queue(&self) -> Vec<(String, String)> {
        let (status, q) = self.admin("/v1/queue/acme").await;
        assert_eq!(status, 200, "{q}");
        q["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["customer"].as_str().unwrap().to_owned(),
                    e["reason"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

pub fn accepted() -> Value {
    json!({"status": "accepted"})
}

/// How long [`eventually`] waits before it fails the test.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Polls `check` every few milliseconds until it gives `Some`, and returns that; fails the
/// test, saying what did not happen, if it has not within [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    within(PATIENCE, what, check).await
}

/// [`eventually`] with a deadline of `limit`.
pub async fn within<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    // The deadline is wall-clock time, so that it holds under tokio's paused clock too.
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not within {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
