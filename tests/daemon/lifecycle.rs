//! The real binary under a supervisor: watchdog pings seen on a fake `NOTIFY_SOCKET`, SIGTERM
//! in the middle of traffic (nothing acknowledged lost, exit 0 within the grace), a second
//! daemon on the same data dir refused with one sentence naming the first, the warnings a
//! config unfit for production gets at start, and a stop that a send in flight holds up: past
//! the grace (exit 1, what was left said) and cut short by a second signal.

use crate::support::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The grace the SIGTERM test gives (the default).
const GRACE: Duration = Duration::from_secs(10);

/// A `baton run` child and every line it wrote to stderr so far.
struct Baton {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

fn write_config(dir: &Path, admin_token: &str) -> PathBuf {
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nrules_dir = \"{}\"\n\
         [admin]\ntoken = \"{admin_token}\"\n[accounts.acme]\nname = \"Acme Mobile\"\n\
         [channels.webhook.outbound]\nsink = \"jsonl\"\npath = \"{}\"\n",
        dir.join("data").display(),
        fixture_rules().display(),
        dir.join("out.jsonl").display(),
    );
    let path = dir.join("baton.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts `baton run` through `sh`, so that `WATCHDOG_PID` can name the daemon's own pid
/// (`exec` keeps the shell's), as systemd sets it.
fn command(config: &Path, env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "WATCHDOG_PID=$$ exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_baton"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `cmd` and collects its stderr; `Ok` once it logged that it listens, `Err` with its
/// exit status and log if it exited first.
fn launch(mut cmd: Command) -> Result<Baton, (ExitStatus, Vec<String>)> {
    let mut child = cmd.spawn().unwrap();
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let kept = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if let Some((_, addr)) = line.split_once("baton is listening addr=") {
                let _ = tx.send(addr.trim().to_owned());
            }
            kept.lock().unwrap().push(line);
        }
    });
    match rx.recv_timeout(PATIENCE) {
        Ok(addr) => Ok(Baton {
            child,
            base: format!("http://{addr}"),
            log,
        }),
        Err(_) => {
            let status = child.wait().unwrap();
            // The reader thread has the whole log once the pipe closes.
            let deadline = Instant::now() + PATIENCE;
            while Arc::strong_count(&log) > 1 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            let lines = log.lock().unwrap().clone();
            Err((status, lines))
        }
    }
}

impl Baton {
    fn start(config: &Path, env: &[(&str, String)]) -> Baton {
        launch(command(config, env)).unwrap_or_else(|(status, log)| {
            panic!("baton exited before listening ({status}): {log:#?}")
        })
    }

    fn signal(&self, sig: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill only sends a signal to the child this test started.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    }

    /// Waits for the child to exit; its status and how long that took.
    async fn exited(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let started = Instant::now();
        let child = &mut self.child;
        let status = within(limit, "baton exits", || {
            let done = child.try_wait().unwrap();
            async move { done }
        })
        .await;
        (status, started.elapsed())
    }

    fn logged(&self, needle: &str) -> bool {
        self.log.lock().unwrap().iter().any(|l| l.contains(needle))
    }
}

impl Drop for Baton {
    fn drop(&mut self) {
        // A test that failed half-way must not leave its daemon running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_engine_loop_pings_the_watchdog_even_when_idle() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), ADMIN);
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    // 400 ms: the loop wakes every 100 ms and pings at most that often.
    let env = [
        ("NOTIFY_SOCKET", socket_path.display().to_string()),
        ("WATCHDOG_USEC", "400000".to_owned()),
    ];
    let mut baton = Baton::start(&config, &env);
    let mut said: Vec<(Instant, String)> = Vec::new();
    let read = |said: &mut Vec<(Instant, String)>| {
        let mut buf = [0u8; 256];
        while let Ok(n) = socket.recv(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).trim().to_owned();
            said.push((Instant::now(), text));
        }
    };
    // Nobody sends anything: only the loop's own wake-ups can make these.
    let idle_since = Instant::now();
    loop {
        read(&mut said);
        let pings = said.iter().filter(|(_, s)| s == "WATCHDOG=1").count();
        if pings >= 5 {
            break;
        }
        assert!(
            idle_since.elapsed() < PATIENCE,
            "5 watchdog pings while idle, got {said:?}"
        );
    }
    assert!(said.iter().any(|(_, s)| s == "READY=1"), "{said:?}");
    let ready = reqwest::get(format!("{}/readyz", baton.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    baton.signal(libc::SIGTERM);
    let (status, _) = baton.exited(GRACE).await;
    assert!(status.success(), "{status}");
    read(&mut said);
    assert!(said.iter().any(|(_, s)| s == "STOPPING=1"), "{said:?}");
}

/// Posts one DM; `None` when the daemon is gone or no longer takes it (503, which must say
/// when to come back), its `status` otherwise.
async fn post(client: &reqwest::Client, base: &str, body: &Value) -> Option<String> {
    let res = client
        .post(format!("{base}/v1/channels/webhook/messages"))
        .json(body)
        .send()
        .await
        .ok()?;
    let status = res.status();
    if status == 503 {
        assert!(
            res.headers().contains_key("retry-after"),
            "503 without Retry-After"
        );
        let answer: Value = res.json().await.ok()?;
        assert_eq!(answer["error"], "unavailable", "{answer}");
        return None;
    }
    let answer: Value = res.json().await.ok()?;
    assert!(status.is_success(), "{body} was refused: {status} {answer}");
    answer["status"].as_str().map(str::to_owned)
}

fn dm(customer: usize, k: usize) -> Value {
    json!({"id": format!("t{customer}-{k}"), "account": "acme",
        "customer": {"id": format!("u{customer}")}, "text": "where is my order"})
}

#[tokio::test]
async fn sigterm_mid_traffic_loses_nothing_acknowledged_and_exits_0_within_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), ADMIN);
    let mut baton = Baton::start(&config, &[]);
    assert!(dir.path().join("data/baton.pid").exists());
    let acks = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let mut customers = Vec::new();
    for c in 0..16 {
        let (client, base, acks) = (client.clone(), baton.base.clone(), acks.clone());
        customers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for k in 0.. {
                match post(&client, &base, &dm(c, k)).await {
                    Some(status) => {
                        assert_eq!(status, "accepted", "t{c}-{k} was new");
                        acked.push(k);
                        acks.fetch_add(1, Ordering::SeqCst);
                    }
                    None => break,
                }
            }
            (c, acked)
        }));
    }
    eventually("some DMs acknowledged", || {
        let n = acks.load(Ordering::SeqCst);
        async move { (n >= 64).then_some(()) }
    })
    .await;
    baton.signal(libc::SIGTERM);
    let (status, took) = baton.exited(GRACE + Duration::from_secs(5)).await;
    assert!(
        status.success(),
        "{status}: {:#?}",
        baton.log.lock().unwrap()
    );
    assert!(took < GRACE, "stopping took {took:?}");
    assert!(!dir.path().join("data/baton.pid").exists(), "pid file left");
    let mut acked = Vec::new();
    for c in customers {
        acked.push(c.await.unwrap());
    }
    drop(baton);

    let again = Baton::start(&config, &[]);
    for (c, ks) in &acked {
        for k in ks {
            let status = post(&client, &again.base, &dm(*c, *k)).await;
            assert_eq!(
                status.as_deref(),
                Some("duplicate"),
                "acknowledged DM t{c}-{k} was lost"
            );
        }
    }
}

#[tokio::test]
async fn a_second_daemon_on_the_same_data_dir_names_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "change-me");
    let mut first = Baton::start(&config, &[]);
    // The shipped token and no webhook secret: both said at start.
    assert!(first.logged("the admin token is the shipped default"));
    assert!(first.logged("the generic webhook takes unsigned requests"));

    let Err((status, log)) = launch(command(&config, &[])) else {
        panic!("a second daemon started on the same data dir");
    };
    assert!(!status.success());
    let sentence = format!(
        "another baton (pid {}) is using {}",
        first.child.id(),
        dir.path().join("data").display()
    );
    let said = log.iter().find(|l| l.contains("another baton"));
    assert_eq!(
        said.map(String::as_str),
        Some(format!("baton: {sentence}").as_str()),
        "{log:#?}"
    );

    first.signal(libc::SIGTERM);
    let (status, _) = first.exited(GRACE).await;
    assert!(status.success(), "{status}");
}

/// A receiver that takes connections and never answers: a send to it stays in flight.
fn silent_receiver() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().map_while(Result::ok) {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (addr, accepted)
}

/// A daemon with `grace` whose outbound receiver never answers, with a reply in flight.
/// Also how many connections the receiver has taken so far.
async fn stuck_on_a_send(dir: &Path, grace: &str) -> (Baton, Arc<AtomicUsize>) {
    let (receiver, accepted) = silent_receiver();
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nrules_dir = \"{}\"\n\
         [admin]\ntoken = \"{ADMIN}\"\n[accounts.acme]\nname = \"Acme Mobile\"\n\
         [shutdown]\ngrace = \"{grace}\"\n\
         [channels.webhook.outbound]\nsink = \"http\"\nurl = \"http://{receiver}/\"\n\
         timeout = \"5m\"\n",
        dir.join("data").display(),
        fixture_rules().display(),
    );
    let config = dir.join("baton.toml");
    std::fs::write(&config, text).unwrap();
    let baton = Baton::start(&config, &[]);
    let client = reqwest::Client::new();
    assert_eq!(
        post(&client, &baton.base, &dm(0, 0)).await.as_deref(),
        Some("accepted")
    );
    eventually("the reply is in flight", || {
        let n = accepted.load(Ordering::SeqCst);
        async move { (n >= 1).then_some(()) }
    })
    .await;
    (baton, accepted)
}

#[tokio::test]
async fn past_the_grace_the_daemon_exits_1_and_says_what_was_left() {
    let dir = tempfile::tempdir().unwrap();
    let (mut baton, accepted) = stuck_on_a_send(dir.path(), "1s").await;
    baton.signal(libc::SIGTERM);
    let (status, took) = baton.exited(Duration::from_secs(10)).await;
    let log = baton.log.lock().unwrap().clone();
    assert_eq!(status.code(), Some(1), "{status}: {log:#?}");
    assert!(took >= Duration::from_millis(900), "exited after {took:?}");
    assert!(
        log.iter()
            .any(|l| l.contains("stopping took longer than the 1s grace")),
        "{log:#?}"
    );
    // The DM was acknowledged before the stop: the next start has it, and sends its reply
    // again (the receiver is asked anew).
    drop(baton);
    let before = accepted.load(Ordering::SeqCst);
    let again = Baton::start(&dir.path().join("baton.toml"), &[]);
    let client = reqwest::Client::new();
    assert_eq!(
        post(&client, &again.base, &dm(0, 0)).await.as_deref(),
        Some("duplicate")
    );
    eventually("the reply sent again after the restart", || {
        let n = accepted.load(Ordering::SeqCst);
        async move { (n > before).then_some(()) }
    })
    .await;
}

#[tokio::test]
async fn a_second_signal_while_stopping_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // The second signal comes well inside the grace.
    let (mut baton, _) = stuck_on_a_send(dir.path(), "60s").await;
    baton.signal(libc::SIGTERM);
    eventually("the stop began", || {
        let began = baton.logged("stopping");
        async move { began.then_some(()) }
    })
    .await;
    baton.signal(libc::SIGTERM);
    let (status, took) = baton.exited(Duration::from_secs(10)).await;
    let log = baton.log.lock().unwrap().clone();
    assert!(took < Duration::from_secs(10), "exited after {took:?}");
    assert_eq!(
        status.code(),
        Some(128 + libc::SIGTERM),
        "{status}: {log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("second signal while stopping")),
        "{log:#?}"
    );
}
