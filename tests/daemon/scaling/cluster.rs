//! The pieces of a cluster on loopback: real `baton` processes on ports of their own, each
//! owning some accounts, and HAProxy running the shipped `deploy/haproxy/haproxy.cfg`.

use crate::support::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The consumer secret every daemon has: any of them answers Twitter's challenge.
pub const SECRET: &str = "consumer-secret-for-tests";

/// HAProxy's binary, or `None` to skip; under `CI=true` a missing one fails the test.
pub fn haproxy() -> Option<PathBuf> {
    let found = [
        "/usr/sbin/haproxy",
        "/usr/bin/haproxy",
        "/usr/local/sbin/haproxy",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "haproxy is not installed (.ci/run installs it with apt)"
        );
        eprintln!("skipped: haproxy is not installed");
    }
    found
}

/// A loopback port nothing listens on right now (the test's processes bind it next).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn signal(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: a plain kill(2) of a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

/// One `baton run` on a fixed port (so HAProxy finds it again after a restart).
pub struct Node {
    pub name: &'static str,
    pub port: u16,
    pub accounts: Vec<&'static str>,
    pub config: PathBuf,
    /// The webhook channel's outbound messages (jsonl).
    pub sink: PathBuf,
    child: Option<Child>,
}

impl Node {
    /// Writes the config of a daemon owning `accounts` (each with its Twitter user id) in
    /// `dir`, with its data in `dir/data`.
    pub fn new(dir: &Path, name: &'static str, accounts: &[(&'static str, &str)]) -> Node {
        std::fs::create_dir_all(dir).unwrap();
        let file = |n: &str, v: &str| {
            let p = dir.join(n);
            std::fs::write(&p, v).unwrap();
            p.display().to_string()
        };
        let port = free_port();
        let sink = dir.join("out.jsonl");
        let mut text = format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\nrules_dir = \"{}\"\n\
             [admin]\ntoken = \"{ADMIN}\"\n",
            dir.join("data").display(),
            fixture_rules().display()
        );
        for (account, user) in accounts {
            // Timers far out: only DMs make messages, however long the test takes.
            text += &format!(
                "[accounts.{account}]\nname = \"{account}\"\n\
                 [accounts.{account}.timeouts]\nbot_unresolved = \"24h\"\nqueue_update = \"24h\"\n\
                 queue_max_wait = \"24h\"\ncustomer_idle = \"24h\"\n\
                 [accounts.{account}.twitter]\nuser_id = \"{user}\"\n\
                 access_token = {{ file = \"{}\" }}\naccess_secret = {{ file = \"{}\" }}\n",
                file(&format!("{account}-token"), &format!("{user}-token")),
                file(&format!("{account}-secret"), "access-secret"),
            );
        }
        text += &format!(
            "[channels.twitter]\napi_base = \"http://127.0.0.1:9\"\nupload_base = \"http://127.0.0.1:9\"\n\
             consumer_key = {{ file = \"{}\" }}\nconsumer_secret = {{ file = \"{}\" }}\n\
             [channels.webhook.outbound]\nsink = \"jsonl\"\npath = \"{}\"\n",
            file("consumer_key", "consumer-key"),
            file("consumer_secret", SECRET),
            sink.display()
        );
        let config = dir.join("baton.toml");
        std::fs::write(&config, text).unwrap();
        Node {
            name,
            port,
            accounts: accounts.iter().map(|(a, _)| *a).collect(),
            config,
            sink,
            child: None,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the daemon and returns once it listens.
    pub fn start(&mut self) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["run", "--config", self.config.to_str().unwrap()])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("{} exited before listening", self.name))
                .unwrap();
            if line.contains("baton is listening addr=") {
                break;
            }
        }
        // Keep draining stderr so the daemon never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        self.child = Some(child);
    }

    pub fn kill_9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// SIGTERM, and waits for the clean exit (a bounded shutdown).
    pub async fn stop(&mut self) {
        let mut child = self.child.take().expect("running");
        signal(&child, libc::SIGTERM);
        let status = eventually("the daemon exits after SIGTERM", || {
            let done = child.try_wait().unwrap();
            async move { done }
        })
        .await;
        assert!(status.success(), "{}: {status}", self.name);
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// HAProxy (master-worker, foreground) on the shipped config and copies of the shipped maps.
pub struct Router {
    pub base: String,
    pub maps: PathBuf,
    child: Child,
}

impl Router {
    /// `daemons`: each backend's name and address, `d1`… as the config names them; a name
    /// beyond the shipped three gets a backend of its own, as docs/scaling.md says to add one.
    pub fn start(dir: &Path, daemons: &[(&str, u16)]) -> Router {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/haproxy");
        let maps = dir.join("maps");
        std::fs::create_dir_all(&maps).unwrap();
        for f in ["accounts.map", "twitter-users.map"] {
            std::fs::copy(shipped.join(f), maps.join(f)).unwrap();
        }
        let mut cfg = std::fs::read_to_string(shipped.join("haproxy.cfg")).unwrap();
        for (name, _) in daemons.iter().skip(3) {
            let var = format!("BATON_{}", name.to_uppercase());
            cfg += &format!(
                "\nbackend {name}\n    option httpchk GET /readyz\n    \
                 http-check expect status 200\n    server {name} \"${{{var}}}\"\n"
            );
        }
        let rendered = dir.join("haproxy.cfg");
        std::fs::write(&rendered, cfg).unwrap();
        let port = free_port();
        let mut cmd = Command::new(haproxy().expect("checked by the caller"));
        cmd.args(["-W", "-db", "-f", rendered.to_str().unwrap()])
            .env("BATON_ROUTER_BIND", format!("127.0.0.1:{port}"))
            .env("BATON_ROUTER_MAPS", &maps)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("haproxy.log")).unwrap());
        for (name, p) in daemons {
            cmd.env(
                format!("BATON_{}", name.to_uppercase()),
                format!("127.0.0.1:{p}"),
            );
        }
        Router {
            base: format!("http://127.0.0.1:{port}"),
            maps,
            child: cmd.spawn().unwrap(),
        }
    }

    /// Rewrites accounts.map with `account` at `backend`, and reloads HAProxy (SIGUSR2 to
    /// the master: new workers read the map; old ones finish their connections).
    pub fn map(&self, moves: &[(&str, &str)]) {
        let path = self.maps.join("accounts.map");
        let text = std::fs::read_to_string(&path).unwrap();
        let out: Vec<String> = text
            .lines()
            .map(|line| {
                let account = line.split_whitespace().next().unwrap_or("");
                match moves.iter().find(|(a, _)| *a == account) {
                    Some((a, b)) => format!("{a}  {b}"),
                    None => line.to_owned(),
                }
            })
            .collect();
        std::fs::write(&path, out.join("\n") + "\n").unwrap();
        signal(&self.child, libc::SIGUSR2);
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What became of one DM posted through the router.
#[derive(Debug, Clone)]
pub struct Posted {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Value,
}

pub fn dm_body(account: &str, id: &str, customer: &str, text: &str) -> Value {
    json!({"id": id, "account": account, "customer": {"id": customer, "name": "Jo"}, "text": text})
}

/// Posts a webhook DM to `base` (a daemon or the router); a transport failure is a 0.
pub async fn post_dm(client: &reqwest::Client, base: &str, body: &Value) -> Posted {
    let res = client
        .post(format!("{base}/v1/channels/webhook/messages"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    let Ok(res) = res else {
        return Posted {
            status: 0,
            retry_after: None,
            body: Value::Null,
        };
    };
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = res.json().await.unwrap_or(Value::Null);
    Posted {
        status,
        retry_after,
        body,
    }
}

/// GET with the admin token; the status and JSON body (`Null` if none).
pub async fn admin_get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    match client.get(url).bearer_auth(ADMIN).send().await {
        Ok(res) => (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        ),
        Err(_) => (0, Value::Null),
    }
}

/// The distinct message ids each recipient got with `text` in them, over the sinks given.
pub fn replies(sinks: &[&Path], text: &str) -> std::collections::HashMap<String, Vec<String>> {
    let mut by: std::collections::HashMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for line in sinks.iter().flat_map(|s| sink_lines(s)) {
        if line.text.contains(text) {
            by.entry(line.recipient).or_default().insert(line.id);
        }
    }
    by.into_iter()
        .map(|(k, v)| (k, v.into_iter().collect()))
        .collect()
}

/// The accounts written in a sink's lines.
pub fn accounts_in(sink: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_to_string(sink)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["account"].as_str().map(str::to_owned))
        .collect()
}
