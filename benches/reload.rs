//! Reload benchmark: 1,000 rules (200 with a pattern, over 10 files), timed two ways: the
//! compile alone (`reload::load_accounts`, which reads the files and builds the matcher), and
//! a whole reload through `POST /v1/admin/reload` on a real daemon (read, compile on the
//! blocking pool, swap in the engine, answer).
//!
//! `cargo bench --bench reload`; `RELOADS` sets how many of each (default 20).

use baton::app::App;
use baton::config::Config;
use std::path::Path;
use std::time::{Duration, Instant};

const RULES: usize = 1_000;
const FILES: usize = 10;
const PATTERN_EVERY: usize = 5;
const TOKEN: &str = "bench-admin-token";

fn write_rules(dir: &Path) {
    let bot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/00-bot.toml");
    std::fs::copy(bot, dir.join("00-bot.toml")).expect("copy the bot file");
    for f in 0..FILES {
        let mut text = String::new();
        for r in (f * RULES / FILES)..((f + 1) * RULES / FILES) {
            text.push_str(&format!(
                "[[rule]]\nname = \"rule-{r}\"\nkeywords = [\"kw{r}x\", \"other {r} words\"]\n"
            ));
            if r % PATTERN_EVERY == 0 {
                text.push_str(&format!("patterns = ['''(?i)\\bpat{r}\\d+\\b''']\n"));
            }
            text.push_str(&format!("reply = \"Reply {r} for {{customer.name}}.\"\n\n"));
        }
        std::fs::write(dir.join(format!("{:02}-rules.toml", f + 10)), text).expect("write rules");
    }
}

fn summary(what: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{what}: n={} min {:.1} ms, median {:.1} ms, max {:.1} ms",
        v.len(),
        ms(v[0]),
        ms(v[v.len() / 2]),
        ms(v[v.len() - 1])
    );
}

fn main() {
    let reloads: usize = std::env::var("RELOADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).expect("rules dir");
    write_rules(&rules);
    let file = dir.path().join("baton.toml");
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nrules_dir = \"rules\"\n\
         [admin]\ntoken = \"{TOKEN}\"\n[accounts.acme]\nname = \"Acme\"\n\
         [channels.webhook.outbound]\nsink = \"jsonl\"\npath = \"out.jsonl\"\n"
    );
    std::fs::write(&file, text).expect("write config");
    let config = Config::load(&file).expect("config");

    let mut compile = Vec::with_capacity(reloads);
    for _ in 0..reloads {
        let began = Instant::now();
        let accounts = baton::app::load_accounts(&config).expect("rules");
        compile.push(began.elapsed());
        assert_eq!(baton::reload::rule_count(&accounts), RULES);
    }

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (calls, swaps) = runtime.block_on(async {
        let running = App::build(config).await.expect("daemon").spawn();
        let url = format!("http://{}/v1/admin/reload", running.addr);
        let client = reqwest::Client::new();
        let (mut calls, mut swaps) = (Vec::new(), Vec::new());
        for _ in 0..reloads {
            let began = Instant::now();
            let res = client
                .post(&url)
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("post");
            assert_eq!(res.status(), 200);
            let body: serde_json::Value = res.json().await.expect("json");
            calls.push(began.elapsed());
            assert_eq!(body["rules"], RULES);
            let took = body["took_ms"].as_u64().expect("took_ms");
            swaps.push(Duration::from_millis(took));
        }
        running.stop().await.expect("stop");
        (calls, swaps)
    });
    println!(
        "reload of {RULES} rules ({} with a pattern, {FILES} files):",
        RULES / PATTERN_EVERY
    );
    summary("  compile alone (load_accounts)", compile);
    summary("  POST /v1/admin/reload, round trip", calls);
    summary(
        "  POST /v1/admin/reload, took_ms (read + compile + swap)",
        swaps,
    );
}
