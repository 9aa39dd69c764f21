//! The daemon side of the browser tests: a real daemon on 127.0.0.1:0 over a temp data dir,
//! delivering to a local fake platform whose waits have a deadline. A minimal copy of what
//! `tests/daemon/support.rs` does; test binaries cannot share modules.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use baton::app::{App, Running};
use baton::config::Config;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

pub const ADMIN: &str = "admin-test-token";

/// The fixture bot's profile name: what customers see on its messages.
pub const BOT: &str = "Test Assistant (bot)";

fn fixture_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// A local stand-in for the platform: every outbound message it is posted, in order.
pub struct FakeSink {
    pub url: String,
    rx: mpsc::UnboundedReceiver<Value>,
}

async fn receive(
    State(tx): State<mpsc::UnboundedSender<Value>>,
    Json(v): Json<Value>,
) -> StatusCode {
    // A closed receiver only means the test is over.
    let _ = tx.send(v);
    StatusCode::OK
}

impl FakeSink {
    pub async fn start() -> FakeSink {
        let (tx, rx) = mpsc::unbounded_channel();
        let app = Router::new().route("/out", post(receive)).with_state(tx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/out", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeSink { url, rx }
    }

    /// The next delivered message; fails the test if none arrives within [`PATIENCE`].
    pub async fn next(&mut self) -> Value {
        tokio::time::timeout(PATIENCE, self.rx.recv())
            .await
            .expect("no outbound message in time")
            .expect("sink closed")
    }

    /// Reads messages until one for `customer` says `text`; returns it (with its profile).
    pub async fn until_text(&mut self, customer: &str, text: &str) -> Value {
        loop {
            let m = self.next().await;
            if m["recipient"] == customer && m["text"] == text {
                return m;
            }
        }
    }
}

pub struct Daemon {
    pub base: String,
    pub addr: std::net::SocketAddr,
    client: reqwest::Client,
    running: Option<Running>,
}

/// The config every browser test runs with: one account (acme) on the fixture rules, the
/// console's try page on, the webhook delivering to `sink_url`, listening on `listen`.
pub fn config_text(data: &Path, sink_url: &str, listen: &str) -> String {
    format!(
        "listen = \"{listen}\"\ndata_dir = \"{}\"\nrules_dir = \"{}\"\n{}\n\
         [admin]\ntoken = \"{ADMIN}\"\n[accounts.acme]\nname = \"Acme Mobile\"\n\
         [channels.webhook.outbound]\nsink = \"http\"\nurl = \"{sink_url}\"\ntimeout = \"2s\"\n",
        data.display(),
        fixture_rules().display(),
        console_table(),
    )
}

/// The `[console]` table the tests run with: the try page on.
fn console_table() -> &'static str {
    "[console]\ntry_page = true\n"
}

impl Daemon {
    /// A daemon on `data` listening on `listen` ("127.0.0.1:0" for any free port).
    pub async fn start(data: &Path, sink_url: &str, listen: &str) -> Daemon {
        let text = config_text(data, sink_url, listen);
        let config = Config::parse(&text, Path::new("/nonexistent/baton.toml"), |_| None)
            .unwrap_or_else(|e| panic!("config: {e}"));
        let running = App::build(config).await.unwrap().spawn();
        Daemon {
            base: format!("http://{}", running.addr),
            addr: running.addr,
            client: reqwest::Client::new(),
            running: Some(running),
        }
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("a clean stop");
        }
    }

    /// Posts a generic inbound message from `customer` (named `name`); checks it was accepted.
    pub async fn dm(&self, id: &str, customer: &str, name: &str, text: &str) {
        let body = json!({"id": id, "account": "acme", "customer": {"id": customer, "name": name}, "text": text});
        self.post_message(body).await;
    }

    /// Someone of the brand answers `customer` in the platform's own app, outside Baton.
    pub async fn brand_says(&self, id: &str, customer: &str, text: &str) {
        let body = json!({"id": id, "account": "acme", "customer": {"id": customer}, "text": text,
                          "from": "brand"});
        self.post_message(body).await;
    }

    async fn post_message(&self, body: Value) {
        let res = self
            .client
            .post(format!("{}/v1/channels/webhook/messages", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());
    }

    pub async fn admin(&self, path: &str) -> Value {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        res.json().await.unwrap()
    }

    /// Edits agent `id` through the admin API (`PATCH /v1/agents/{id}`).
    pub async fn edit_agent(&self, id: &str, edit: Value) {
        let res = self
            .client
            .patch(format!("{}/v1/agents/{id}", self.base))
            .bearer_auth(ADMIN)
            .json(&edit)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());
    }

    /// Adds an agent of acme through the admin API; returns its token.
    pub async fn add_agent(&self, name: &str, profile_name: &str) -> String {
        let res = self
            .client
            .post(format!("{}/v1/agents", self.base))
            .bearer_auth(ADMIN)
            .json(
                &json!({"account": "acme", "name": name, "profile_name": profile_name,
                          "avatar": "https://example.com/a.png", "skills": [], "capacity": 2}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201);
        let v: Value = res.json().await.unwrap();
        v["token"].as_str().unwrap().to_owned()
    }

    /// A conversation's state ("bot", "queued", "offered", "assigned", …).
    pub async fn state(&self, conversation: &str) -> String {
        let v = self
            .admin(&format!("/v1/conversations/{conversation}"))
            .await;
        v["conversation"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// How long a wait on the daemon's side lasts before it fails the test.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A daemon on a fresh data dir (kept while the returned guard lives), delivering to a fresh
/// fake platform: how every test begins.
pub async fn fresh() -> (tempfile::TempDir, FakeSink, Daemon) {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let d = Daemon::start(dir.path(), &sink.url, "127.0.0.1:0").await;
    (dir, sink, d)
}
