//! Several daemons behind HAProxy (docs/scaling.md) against one daemon alone: webhook DMs/s and
//! ack latency through the shipped `deploy/haproxy/` config with three daemons owning six
//! accounts, the same load on one daemon owning all six, straight; and how long after a
//! daemon's restart (SIGKILL, start again) its accounts are served through HAProxy again.
//!
//! `cargo bench --bench router` — env: BENCH_SECS (default 10), BENCH_CONNS (64),
//! BENCH_RESTARTS (3). Needs haproxy (Debian's package); the daemons are the real binary, the
//! load generator runs in this process: everything shares the machine's cores.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{env, pct_ms};

const ACCOUNTS: [&str; 6] = ["acme", "globex", "initech", "umbrella", "hooli", "stark"];

fn main() {
    let secs = env("BENCH_SECS", 10);
    let conns = env("BENCH_CONNS", 64);
    let restarts = env("BENCH_RESTARTS", 3);
    let Some(haproxy) = ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
    else {
        println!("router: haproxy is not installed (apt-get install haproxy); nothing measured");
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");

    // One daemon owning all six accounts, straight.
    let mut alone = Daemon::new(&dir.path().join("alone"), &ACCOUNTS);
    alone.start();
    let (lat, total, took) = rt.block_on(load(alone.addr(), secs, conns));
    report("one daemon, direct", conns, &lat, total, took);
    drop(alone);

    // Three daemons, two accounts each as the shipped map has them, behind HAProxy.
    let mut daemons: Vec<Daemon> = ACCOUNTS
        .chunks(2)
        .enumerate()
        .map(|(i, accounts)| Daemon::new(&dir.path().join(format!("d{}", i + 1)), accounts))
        .collect();
    for d in &mut daemons {
        d.start();
    }
    let router = Router::start(&haproxy, dir.path(), &daemons);
    rt.block_on(async {
        for account in ACCOUNTS {
            wait_served(&router.addr, account).await;
        }
    });
    let (lat, total, took) = rt.block_on(load(router.addr.clone(), secs, conns));
    report("three daemons behind HAProxy", conns, &lat, total, took);

    // d2 (initech, umbrella) killed and started again: until its accounts answer 200 through
    // the router. Started at once (a supervisor's quick restart), HAProxy may not have marked
    // it down yet; started after 2 s it has (`fall 2` checks 250 ms apart), and its health
    // check must see it up again first.
    for (what, down_for) in [
        ("at once", Duration::ZERO),
        ("after 2 s down", Duration::from_secs(2)),
    ] {
        println!("restart of one daemon (SIGKILL, then start {what}), {restarts} times:");
        for _ in 0..restarts {
            daemons[1].kill_9();
            std::thread::sleep(down_for);
            let started = Instant::now();
            let listening = daemons[1].start();
            rt.block_on(wait_served(&router.addr, "initech"));
            println!(
                "  listening after {:.0} ms, its accounts served through HAProxy after {:.0} ms",
                listening.as_secs_f64() * 1000.0,
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}

fn report(what: &str, conns: u64, lat: &[u32], total: u64, took: Duration) {
    let mut lat = lat.to_vec();
    lat.sort_unstable();
    println!("{what}: {conns} connections, six accounts, {took:.1?} measured");
    println!(
        "  throughput: {:.0} DMs/s ({total} acknowledged)",
        total as f64 / took.as_secs_f64()
    );
    println!(
        "  ack latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct_ms(&lat, 0.50),
        pct_ms(&lat, 0.99),
        pct_ms(&lat, 1.0)
    );
}

/// Until a DM for `account` through `addr` is acknowledged (a new event each try).
async fn wait_served(addr: &str, account: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    for n in 0u64.. {
        let body = format!(
            r#"{{"id":"probe-{}-{n}","account":"{account}","customer":{{"id":"probe"}},"text":"hello"}}"#,
            std::process::id()
        );
        let ok = client
            .post(format!("http://{addr}/v1/channels/webhook/messages"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{account} not served within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `conns` keep-alive connections posting DMs round the six accounts for `secs` (after 2 s of
/// warm-up); every latency in microseconds, the count, the time measured.
async fn load(addr: String, secs: u64, conns: u64) -> (Vec<u32>, u64, Duration) {
    let m = support::drive(&addr, conns, secs, None, |n| {
        let account = ACCOUNTS[(n % 6) as usize];
        format!(
            r#"{{"id":"evt-{n}","account":"{account}","customer":{{"id":"u{}","name":"Jo"}},"text":"where is my order?"}}"#,
            n % 10_000
        )
    })
    .await;
    let total = m.latencies.len() as u64;
    (m.latencies, total, m.took)
}

/// `baton run` on a port of its own, the shipped rules, a JSON-lines sink.
struct Daemon {
    port: u16,
    config: PathBuf,
    child: Option<Child>,
}

impl Daemon {
    fn new(dir: &Path, accounts: &[&str]) -> Daemon {
        std::fs::create_dir_all(dir).expect("dir");
        let port = free_port();
        let mut text = format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\nrules_dir = \"{}/rules\"\n",
            dir.join("data").display(),
            env!("CARGO_MANIFEST_DIR")
        );
        for a in accounts {
            text += &format!("[accounts.{a}]\nname = \"{a}\"\n");
        }
        text += &format!(
            "[channels.webhook.outbound]\nsink = \"jsonl\"\npath = \"{}\"\n",
            dir.join("out.jsonl").display()
        );
        let config = dir.join("baton.toml");
        std::fs::write(&config, text).expect("config");
        Daemon {
            port,
            config,
            child: None,
        }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts it; how long until it said it listens.
    fn start(&mut self) -> Duration {
        let t = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["run", "--config"])
            .arg(&self.config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("baton");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        loop {
            let line = lines.next().expect("baton exited").expect("stderr");
            if line.contains("baton is listening addr=") {
                break;
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        self.child = Some(child);
        t.elapsed()
    }

    fn kill_9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// HAProxy on the shipped config and maps.
struct Router {
    addr: String,
    child: Child,
}

impl Router {
    fn start(haproxy: &Path, dir: &Path, daemons: &[Daemon]) -> Router {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/haproxy");
        let port = free_port();
        let mut cmd = Command::new(haproxy);
        cmd.args(["-W", "-db", "-f"])
            .arg(shipped.join("haproxy.cfg"))
            .env("BATON_ROUTER_BIND", format!("127.0.0.1:{port}"))
            .env("BATON_ROUTER_MAPS", &shipped)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("haproxy.log")).expect("log"));
        for (i, d) in daemons.iter().enumerate() {
            cmd.env(format!("BATON_D{}", i + 1), d.addr());
        }
        Router {
            addr: format!("127.0.0.1:{port}"),
            child: cmd.spawn().expect("haproxy"),
        }
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    l.local_addr().expect("addr").port()
}
