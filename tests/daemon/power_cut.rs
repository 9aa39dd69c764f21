//! Power cuts against the whole daemon: random DMs, agents added, clean restarts and power cuts.
//! The journal lives on `SimFiles` (what was not synced is forgotten, the last write may be
//! torn); at a cut the daemon's runtime is dropped mid-flight and sled's files are put back as
//! they were when that daemon started, so everything acknowledged since must come back from the
//! journal. After each recovery every acknowledged DM is known (`duplicate`), and every
//! conversation and agent equals a reference daemon's that was given the same acknowledged
//! inputs and never lost power.

use crate::support::*;
use baton::app::{App, Running};
use baton::clock::Clock;
use baton::journal::SimFiles;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Runtime;

const TEXTS: [&str; 4] = [
    "hello",
    "where is my order",
    "agent please",
    "I forgot my password",
];

#[derive(Debug, Clone)]
enum Step {
    Dm { customer: u8, text: usize },
    AddAgent,
    Restart,
    PowerCut(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0u8..4, 0usize..TEXTS.len()).prop_map(|(customer, text)| Step::Dm { customer, text }),
        1 => Just(Step::AddAgent),
        1 => Just(Step::Restart),
        2 => any::<u64>().prop_map(Step::PowerCut),
    ]
}

/// A daemon on a runtime of its own, so a power cut can drop it mid-flight.
struct Node {
    data: PathBuf,
    files: Arc<dyn baton::journal::Files>,
    runtime: Option<Runtime>,
    running: Option<Running>,
    base: String,
    /// sled's files when this daemon started: all a power cut is sure to leave.
    started: Vec<(PathBuf, Vec<u8>)>,
}

/// Every regular file of sled's (the journal lives on the simulated files).
fn sled_files(data: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![data.to_owned()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                dirs.push(e.path());
            } else {
                out.push((e.path(), std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out
}

impl Node {
    fn start(data: PathBuf, files: Arc<dyn baton::journal::Files>) -> Node {
        let mut node = Node {
            data,
            files,
            runtime: None,
            running: None,
            base: String::new(),
            started: Vec::new(),
        };
        node.boot();
        node
    }

    fn boot(&mut self) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (data, files) = (self.data.clone(), self.files.clone());
        let running = runtime.block_on(async {
            // The daemon before this one ran in this process: on a loaded machine its last
            // threads may still be letting go of sled's lock.
            let mut tries = 0;
            loop {
                match App::build_on(jsonl_config(&data), Clock::system(), files.clone()).await {
                    Ok(app) => break app.spawn(),
                    Err(e) if format!("{e:#}").contains("another baton") && tries < 50 => {
                        tries += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => panic!("{e:#}"),
                }
            }
        });
        self.base = format!("http://{}", running.addr);
        self.running = Some(running);
        self.runtime = Some(runtime);
        self.started = sled_files(&self.data);
    }

    fn restart(&mut self) {
        if let (Some(rt), Some(running)) = (self.runtime.take(), self.running.take()) {
            rt.block_on(running.stop()).unwrap();
        }
        self.boot();
    }

    /// Drops the daemon mid-flight, loses what the disk was not made to keep, starts again.
    fn power_cut(&mut self, sim: &SimFiles, seed: u64) {
        drop(self.running.take());
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
        sim.power_cut(seed);
        // A barrier since the start (the daemon's own timer) made later sled files durable:
        // putting the start's back would be a loss no disk can cause, so they stay as they are.
        let state = self.data.join(baton::store::STATE_FILE);
        let barrier_since = self
            .started
            .iter()
            .find(|(p, _)| *p == state)
            .is_none_or(|(_, b)| std::fs::read(&state).ok().as_ref() != Some(b));
        if !barrier_since {
            for (path, _) in sled_files(&self.data) {
                std::fs::remove_file(path).unwrap();
            }
            for (path, bytes) in &self.started {
                std::fs::write(path, bytes).unwrap();
            }
        }
        self.boot();
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.as_ref().unwrap().block_on(f)
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        self.block_on(async move {
            let res = reqwest::Client::new()
                .post(url)
                .bearer_auth(ADMIN)
                .json(&body)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json().await.unwrap())
        })
    }

    fn get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.base);
        self.block_on(async move {
            let res = reqwest::Client::new()
                .get(url)
                .bearer_auth(ADMIN)
                .send()
                .await
                .unwrap();
            res.json().await.unwrap()
        })
    }

    fn dm(&self, id: &str, customer: u8, text: &str) -> (u16, Value) {
        let body = json!({"id": id, "account": "acme",
            "customer": {"id": format!("u{customer}")}, "text": text});
        self.post("/v1/channels/webhook/messages", body)
    }

    /// What must be equal after a recovery: each conversation's state and transcript (who
    /// said what), and the agents' names.
    fn contents(&self) -> Value {
        let stats = self.get("/v1/stats");
        let n = stats["conversations"].as_u64().unwrap_or(0);
        let conversations: Vec<Value> = (0..n)
            .map(|i| {
                let c = self.get(&format!("/v1/conversations/c{i}"));
                let said: Vec<Value> = c["transcript"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|m| json!([m["from"], m["text"]]))
                    .collect();
                json!({"state": c["state"], "said": said})
            })
            .collect();
        let agents = self.get("/v1/agents");
        let mut names: Vec<Value> = agents["agents"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| a["name"].clone())
            .collect();
        names.sort_by_key(|n| n.to_string());
        json!({"conversations": conversations, "agents": names})
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let (Some(rt), Some(running)) = (self.runtime.take(), self.running.take()) {
            let _ = rt.block_on(running.stop());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn acknowledged_dms_and_agents_survive_power_cuts_as_a_reference_has_them(
        steps in prop::collection::vec(step(), 1..14)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let sim = SimFiles::new();
        let mut node = Node::start(dir.path().join("cut"), Arc::new(sim.clone()));
        let reference = Node::start(
            dir.path().join("reference"),
            Arc::new(baton::journal::OsFiles),
        );
        let (mut acked, mut agents) = (Vec::new(), 0);
        for (i, step) in steps.into_iter().enumerate() {
            match step {
                Step::Dm { customer, text } => {
                    let id = format!("e{i}");
                    let (status, v) = node.dm(&id, customer, TEXTS[text]);
                    prop_assert_eq!(status, 200, "{}", v);
                    let (status, v) = reference.dm(&id, customer, TEXTS[text]);
                    prop_assert_eq!(status, 200, "{}", v);
                    acked.push((id, customer, TEXTS[text]));
                }
                Step::AddAgent => {
                    agents += 1;
                    let body = json!({"account": "acme", "name": format!("A{agents}"),
                        "profile_name": format!("A{agents}, Acme"),
                        "avatar": "https://example.com/a.png", "skills": [], "capacity": 1});
                    prop_assert_eq!(node.post("/v1/agents", body.clone()).0, 201);
                    prop_assert_eq!(reference.post("/v1/agents", body).0, 201);
                }
                Step::Restart => node.restart(),
                Step::PowerCut(seed) => {
                    node.power_cut(&sim, seed);
                    for (id, customer, text) in &acked {
                        let (_, v) = node.dm(id, *customer, text);
                        prop_assert_eq!(&v["status"], "duplicate", "acknowledged {} was lost", id);
                    }
                    prop_assert_eq!(node.contents(), reference.contents());
                }
            }
        }
    }
}
