//! Reloading the rules without a restart: through `POST /v1/admin/reload` and SIGHUP to the
//! real binary; bad rules keep the old ones and every error is reported (the call's answer and
//! `/readyz`); a change that needs a restart is refused by name; a deadline set before the
//! reload keeps its time while the next one uses the new timeouts; a new `ageing` reorders the
//! line at once.

use crate::support::*;
use baton::app::App;
use baton::config::Config;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const MIN: Duration = Duration::from_secs(60);
const NEW_TRACK: &str = "Track it here: https://example.com/new-track.";

/// A config file on disk over a copy of the fixture rules, so a test can change either and
/// reload.
struct Files {
    _dir: tempfile::TempDir,
    config: PathBuf,
    rules: PathBuf,
}

impl Files {
    fn new(sink: &str) -> Files {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        std::fs::create_dir_all(&rules).unwrap();
        for f in ["00-bot.toml", "10-rules.toml"] {
            std::fs::copy(fixture_rules().join(f), rules.join(f)).unwrap();
        }
        let config = dir.path().join("baton.toml");
        let files = Files {
            config,
            rules,
            _dir: dir,
        };
        files.write_config("127.0.0.1:0", sink);
        files
    }

    fn write_config(&self, listen: &str, sink: &str) {
        let data = self.config.with_file_name("data");
        let text = format!(
            "listen = \"{listen}\"\ndata_dir = \"{}\"\nrules_dir = \"{}\"\n\
             [admin]\ntoken = \"{ADMIN}\"\n[accounts.acme]\nname = \"Acme Mobile\"\n\
             [channels.webhook.outbound]\nsink = \"{sink}\"\n",
            data.display(),
            self.rules.display(),
        );
        std::fs::write(&self.config, text).unwrap();
    }

    /// Replaces a text in one rule file.
    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.rules.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from:?} not in {file}");
        std::fs::write(&path, text.replace(from, to)).unwrap();
    }

    async fn start(&self) -> Daemon {
        let config = Config::load(&self.config).unwrap();
        let clock = baton::clock::Clock::system();
        let running = App::build_with_clock(config, clock).await.unwrap().spawn();
        Daemon {
            base: format!("http://{}", running.addr),
            client: reqwest::Client::new(),
            running: Some(running),
        }
    }
}

fn http_sink(url: &str) -> String {
    format!("http\"\nurl = \"{url}\"\ntimeout = \"2s")
}

async fn reload(d: &Daemon) -> (u16, Value) {
    d.admin_post("/v1/admin/reload", serde_json::json!({}))
        .await
}

/// The `baton_reloads_total` sample for `result`, from `GET /metrics`.
async fn reloads(d: &Daemon, result: &str) -> String {
    let text = d.get("/metrics").await.text().await.unwrap();
    let series = format!("baton_reloads_total{{result=\"{result}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .unwrap_or_else(|| panic!("no {series}in {text}"))
        .to_owned()
}

async fn readyz(d: &Daemon) -> Value {
    let res = d.get("/readyz").await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn good_rules_are_in_force_as_soon_as_the_call_answers() {
    let mut sink = FakeSink::start().await;
    let files = Files::new(&http_sink(&sink.url));
    let d = files.start().await;
    d.dm("e1", "u1", "where is my order").await;
    sink.assert_texts(&["Hi Jo! I'm an automated assistant.", TRACK])
        .await;
    files.edit("10-rules.toml", TRACK, NEW_TRACK);
    let (status, v) = reload(&d).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ok"], true);
    assert_eq!(v["rules"], 4, "{v}");
    assert!(v["took_ms"].is_u64(), "{v}");
    assert_eq!(reloads(&d, "ok").await, "1");
    d.dm("e2", "u1", "where is my order").await;
    sink.assert_texts(&[NEW_TRACK]).await;
    let ready = readyz(&d).await;
    assert_eq!(ready["reload"]["ok"], true, "{ready}");
    assert_eq!(ready["reload"]["errors"], serde_json::json!([]));
}

#[tokio::test]
async fn bad_rules_keep_the_old_ones_and_every_error_is_reported() {
    let mut sink = FakeSink::start().await;
    let files = Files::new(&http_sink(&sink.url));
    let d = files.start().await;
    // Two mistakes in two files: both are reported, and nothing of the new set is used.
    files.edit("10-rules.toml", TRACK, NEW_TRACK);
    files.edit("10-rules.toml", "keywords = [\"bye\"", "keywords = [\"\"");
    files.edit("00-bot.toml", "max_fallbacks = 2", "max_fallbacks = 0");
    let (status, v) = reload(&d).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["error"], "reload_failed");
    assert_eq!(reloads(&d, "failed").await, "1");
    assert_eq!(reloads(&d, "ok").await, "0");
    let errors: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    let bot = files.rules.join("00-bot.toml");
    let rules = files.rules.join("10-rules.toml");
    assert!(
        errors[0].starts_with(&format!("{}:6:", bot.display())),
        "{errors:#?}"
    );
    assert!(
        errors[1].starts_with(&format!("{}:", rules.display())),
        "{errors:#?}"
    );
    d.dm("e1", "u1", "where is my order").await;
    sink.assert_texts(&["Hi Jo! I'm an automated assistant.", TRACK])
        .await;
    let ready = readyz(&d).await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["reload"]["ok"], false, "{ready}");
    assert_eq!(ready["reload"]["result"], "failed");
    assert_eq!(ready["reload"]["errors"], v["errors"]);
}

#[tokio::test]
async fn a_new_listen_address_is_refused_as_needing_a_restart() {
    let mut sink = FakeSink::start().await;
    let files = Files::new(&http_sink(&sink.url));
    let d = files.start().await;
    files.edit("10-rules.toml", TRACK, NEW_TRACK);
    files.write_config("127.0.0.1:1", &http_sink(&sink.url));
    let (status, v) = reload(&d).await;
    assert_eq!(status, 422, "{v}");
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
    assert_eq!(reloads(&d, "refused").await, "1");
    let said = errors[0].as_str().unwrap();
    assert!(
        said.contains("listen") && said.contains("needs a restart"),
        "{said}"
    );
    d.dm("e1", "u1", "where is my order").await;
    sink.assert_texts(&["Hi Jo! I'm an automated assistant.", TRACK])
        .await;
    assert_eq!(readyz(&d).await["reload"]["result"], "refused");
    // The admin token guards the call like every other admin call.
    let res = d
        .client
        .post(format!("{}/v1/admin/reload", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test(start_paused = true)]
async fn a_deadline_set_before_keeps_its_time_and_the_next_uses_the_new_timeouts() {
    let mut sink = FakeSink::start().await;
    let files = Files::new(&http_sink(&sink.url));
    // Updates and the apology far away, so only the escalations reach the platform.
    let timeouts = "bot_unresolved = \"10m\"\nqueue_update = \"1h\"\nqueue_max_wait = \"2h\"";
    files.edit("00-bot.toml", "offer = \"30s\"", timeouts);
    let d = files.start().await;
    d.dm("e1", "u1", "hello").await;
    sink.next().await; // the greeting; u1's deadline is now 10 minutes away
    files.edit(
        "00-bot.toml",
        "bot_unresolved = \"10m\"",
        "bot_unresolved = \"1m\"",
    );
    let (status, v) = reload(&d).await;
    assert_eq!(status, 200, "{v}");
    d.dm("e2", "u2", "hello").await;
    sink.next().await; // u2's greeting, under the new timeouts
    tokio::time::sleep(MIN).await;
    let m = sink.next().await;
    assert_eq!(m["recipient"], "u2", "{m}");
    d.assert_queue(&[("u2", "bot_timeout")]).await;
    // u1 still waits for its 10 minutes.
    tokio::time::sleep(8 * MIN).await;
    sink.assert_quiet().await;
    d.assert_queue(&[("u2", "bot_timeout")]).await;
    tokio::time::sleep(MIN).await;
    let m = sink.next().await;
    assert_eq!(m["recipient"], "u1", "{m}");
    d.assert_queue(&[("u2", "bot_timeout"), ("u1", "bot_timeout")])
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_new_ageing_reorders_the_line_at_once() {
    let sink = FakeSink::start().await;
    let files = Files::new(&http_sink(&sink.url));
    // Nothing else due while the test waits: only the order of the line changes.
    let timeouts = "[timeouts]\nageing = \"5m\"\nqueue_update = \"1h\"\nqueue_max_wait = \"2h\"";
    files.edit("00-bot.toml", "[timeouts]", timeouts);
    let d = files.start().await;
    d.dm("e1", "u1", "agent").await;
    tokio::time::sleep(2 * MIN).await;
    // Priority 5, two minutes later: 25 minutes of head start at 5 minutes a level.
    d.dm("e2", "u2", "this is unacceptable").await;
    d.assert_queue(&[("u2", "frustrated"), ("u1", "customer_request")])
        .await;

    // At 10 s a level, five levels are 50 s: less than the two minutes u1 waited longer.
    files.edit("00-bot.toml", "ageing = \"5m\"", "ageing = \"10s\"");
    let (status, v) = reload(&d).await;
    assert_eq!(status, 200, "{v}");
    d.assert_queue(&[("u1", "customer_request"), ("u2", "frustrated")])
        .await;
}

/// `baton run` as a child; its address once it logs that it listens.
struct Baton(Child);

impl Drop for Baton {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn sighup_to_the_real_binary_reloads_the_rules() {
    let mut sink = FakeSink::start().await;
    let files = Files::new(&http_sink(&sink.url));
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", "--config", files.config.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let baton = Baton(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let log = move |needle: &str| -> String {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("not logged within {PATIENCE:?}: {needle}"),
            }
        }
    };
    let listening = log("baton is listening addr=");
    let addr = listening.rsplit("addr=").next().unwrap().trim().to_owned();
    let d = Daemon {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        running: None,
    };
    d.dm("e1", "u1", "where is my order").await;
    sink.assert_texts(&["Hi Jo! I'm an automated assistant.", TRACK])
        .await;
    files.edit("10-rules.toml", TRACK, NEW_TRACK);
    hangup(&baton);
    log("reloaded");
    d.dm("e2", "u1", "where is my order").await;
    sink.assert_texts(&[NEW_TRACK]).await;
    // A bad file: each error on a warn line of its own, and the daemon serves on.
    files.edit("00-bot.toml", "max_fallbacks = 2", "max_fallbacks = 0");
    hangup(&baton);
    let warned = log("reload: ");
    assert!(warned.contains("00-bot.toml:6:"), "{warned}");
    log("reload refused");
    d.dm("e3", "u1", "where is my order").await;
    sink.assert_texts(&[NEW_TRACK]).await;
    let ready = readyz(&d).await;
    assert_eq!(ready["reload"]["ok"], false, "{ready}");
}

fn hangup(baton: &Baton) {
    let pid = libc::pid_t::try_from(baton.0.id()).unwrap();
    // SAFETY: kill only sends a signal to the child this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
}

#[test]
fn a_missing_rules_dir_is_pointed_at_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.toml");
    let text = "[accounts.acme]\nname = \"Acme\"\nrules_dir = \"nowhere\"\n";
    std::fs::write(&path, text).unwrap();
    let config = Config::load(&path).unwrap();
    let errors = baton::app::load_accounts(&config).unwrap_err().to_string();
    let want = format!("{}:3:13: rules_dir '", path.display());
    assert!(errors.starts_with(&want), "{errors}");
    assert!(Path::new(&config.accounts[0].rules_dir).ends_with("nowhere"));
}

#[tokio::test]
async fn an_agent_welcomed_after_a_reload_gets_the_new_canned_replies() {
    use crate::support::agent::{add_agent, authenticate};
    let sink = FakeSink::start().await;
    let files = Files::new(&http_sink(&sink.url));
    let d = files.start().await;
    let token = add_agent(&d, "Alissa", &["billing"], 2).await;
    let (_before, welcome) = authenticate(&d, &token, None).await;
    assert!(welcome.get("canned").is_none(), "{welcome}");

    std::fs::write(
        files.rules.join("20-canned.toml"),
        "[[canned]]\nname = \"checking\"\ntext = \"One moment while I look into it.\"\n",
    )
    .unwrap();
    let (status, v) = reload(&d).await;
    assert_eq!(status, 200, "{v}");
    let (_after, welcome) = authenticate(&d, &token, None).await;
    assert_eq!(
        welcome["canned"][0]["text"], "One moment while I look into it.",
        "{welcome}"
    );
}
