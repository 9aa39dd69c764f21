//! `kill -9` the real binary again and again in the middle of traffic, starting it again each
//! time: nothing acknowledged is lost, nothing is taken twice, every DM's reply goes out at
//! least once and no DM gets two different replies, and start-up stays quick.
//!
//! Cycles: `BATON_KILL_CYCLES` (5 by default, so the suite stays short); the ignored
//! `kill_9_loop_long` runs 100 (`cargo test --test daemon kill_9 -- --ignored`).

use crate::support::*;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Customers sending at once, each one DM at a time; every third asks for a person.
const CUSTOMERS: usize = 24;
/// What every start must stay under, however many kills came before it.
const START_LIMIT: Duration = Duration::from_secs(10);
/// The fixture rules' answer to asking for a person, and the default keep-waiting answer.
const CONNECTING: &str = "Connecting you with a person on our team.";
const PATIENCE_REPLY: &str = "Thanks for your patience.";
const GREETING: &str = "I'm an automated assistant.";

/// Starts `baton run` and returns it, the address it logged once listening and how long
/// that took (start-up includes loading the checkpoint and replaying the turn log).
fn spawn(config: &Path) -> (Child, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("baton exited before listening")
            .unwrap();
        if let Some((_, rest)) = line.split_once("baton is listening addr=") {
            break rest.trim().to_owned();
        }
    };
    let took = started.elapsed();
    // Keep draining stderr so the daemon never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, format!("http://{addr}"), took)
}

/// One customer's side of the traffic: DMs `0..next` are acknowledged; DM `next` may have been
/// in flight when the daemon died, so it is sent again (as a platform redelivers) first.
#[derive(Clone)]
struct Customer {
    index: usize,
    next: usize,
}

impl Customer {
    fn id(&self) -> String {
        format!("u{}", self.index)
    }

    fn escalates(&self) -> bool {
        self.index.is_multiple_of(3)
    }

    /// DM `k`: a bot-only customer asks for their order every time; one who escalates asks
    /// for a person first, then (queued) taps "keep waiting".
    fn dm(&self, k: usize) -> Value {
        let (id, customer) = (format!("k{}-{k}", self.index), json!({"id": self.id()}));
        if !self.escalates() {
            json!({"id": id, "account": "acme", "customer": customer, "text": "where is my order"})
        } else if k == 0 {
            json!({"id": id, "account": "acme", "customer": customer, "text": "a human please"})
        } else {
            json!({"id": id, "account": "acme", "customer": customer,
                "payload": "baton:keep-waiting"})
        }
    }

    /// The replies a DM gets that are its answer (the greeting and the queued notice are
    /// counted apart): `(text prefix, how many distinct ids it must end with)`.
    fn expected(&self) -> Vec<(&'static str, usize)> {
        if self.escalates() {
            vec![
                (GREETING, 1),
                (CONNECTING, 1),
                (PATIENCE_REPLY, self.next.saturating_sub(1)),
            ]
        } else {
            vec![(GREETING, 1), (TRACK, self.next)]
        }
    }
}

/// Posts `body`; `None` when the daemon is gone (killed), the answer's `status` otherwise. Any
/// HTTP answer other than a 2xx fails the test: a live daemon refuses none of these DMs.
async fn post(client: &reqwest::Client, base: &str, body: &Value) -> Option<String> {
    let res = client
        .post(format!("{base}/v1/channels/webhook/messages"))
        .json(body)
        .send()
        .await
        .ok()?;
    let status = res.status();
    let answer: Value = res.json().await.ok()?;
    assert!(status.is_success(), "{body} was refused: {status} {answer}");
    answer["status"].as_str().map(str::to_owned)
}

/// Sends the customer's DMs one after another until the daemon stops answering (or, with
/// `until`, until that many are acknowledged). First the last acknowledged DM again, which must
/// be a duplicate (it was durable), then the one that may have been in flight.
async fn converse(
    mut c: Customer,
    client: reqwest::Client,
    base: String,
    acks: Arc<AtomicUsize>,
    until: Option<usize>,
) -> Customer {
    if c.next > 0 {
        let Some(status) = post(&client, &base, &c.dm(c.next - 1)).await else {
            return c;
        };
        assert_eq!(
            status,
            "duplicate",
            "acknowledged DM k{}-{} was lost",
            c.index,
            c.next - 1
        );
    }
    let redelivered = c.next;
    while until.is_none_or(|n| c.next < n) {
        let Some(status) = post(&client, &base, &c.dm(c.next)).await else {
            return c;
        };
        let fresh = status == "accepted";
        assert!(
            fresh || (status == "duplicate" && c.next == redelivered),
            "DM k{}-{} never sent before was answered {status}",
            c.index,
            c.next
        );
        c.next += 1;
        acks.fetch_add(1, Ordering::SeqCst);
    }
    c
}

/// What the sink holds for one customer: per answer text, the sequence numbers of the distinct
/// message ids (`c<conversation>-<seq>`), and every conversation id seen.
#[derive(Default, Debug)]
struct Seen {
    by_text: HashMap<&'static str, BTreeSet<u64>>,
    conversations: BTreeSet<String>,
}

fn read_sink(out: &Path) -> HashMap<String, Seen> {
    let texts = [GREETING, CONNECTING, PATIENCE_REPLY, TRACK];
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for SinkLine {
        recipient: to,
        id,
        text: body,
    } in sink_lines(out)
    {
        let (conversation, seq) = id.rsplit_once('-').expect("a message id c<conv>-<seq>");
        let s = seen.entry(to).or_default();
        s.conversations.insert(conversation.to_owned());
        if let Some(t) = texts.iter().find(|t| body.contains(**t)) {
            let seq: u64 = seq.parse().expect("a numeric sequence");
            s.by_text.entry(t).or_default().insert(seq);
        }
    }
    seen
}

/// Whether the sink holds every expected reply; fails at once on a DM answered twice (more
/// distinct ids than DMs), which waiting cannot undo.
fn all_replied(out: &Path, customers: &[Customer]) -> bool {
    let seen = read_sink(out);
    let mut complete = true;
    for c in customers {
        let mine = seen.get(&c.id());
        if let Some(s) = mine {
            assert_eq!(
                s.conversations.len(),
                1,
                "{}: {:?}",
                c.id(),
                s.conversations
            );
        }
        for (text, want) in c.expected() {
            let got = mine
                .and_then(|s| s.by_text.get(text))
                .map_or(0, BTreeSet::len);
            assert!(
                got <= want,
                "{}: {got} distinct replies \"{text}\" to {want} DMs: a DM was answered twice",
                c.id()
            );
            complete &= got == want;
        }
    }
    complete
}

/// Each answer follows its own DM: a DM takes one sequence number and its answer the next, so
/// the answers to a customer's DMs `k` are two apart, and none is missing or doubled.
fn assert_answers_in_step(out: &Path, customers: &[Customer]) {
    let seen = read_sink(out);
    for c in customers {
        let s = &seen[&c.id()];
        let (text, first) = if c.escalates() {
            // DM 0: greeting, "connecting", queued notice; DM 1's answer comes after its own seq.
            (PATIENCE_REPLY, s.by_text[CONNECTING].first().map(|x| x + 3))
        } else {
            (TRACK, s.by_text[GREETING].first().map(|x| x + 1))
        };
        let got: Vec<u64> = s.by_text.get(text).into_iter().flatten().copied().collect();
        let want: Vec<u64> = (0..got.len() as u64)
            .map(|k| first.expect("a first answer") + 2 * k)
            .collect();
        assert_eq!(got, want, "{}: answers out of step with the DMs", c.id());
    }
}

fn config(dir: &Path, out: &Path) -> PathBuf {
    let config = dir.join("baton.toml");
    // Timers are pushed far out so that only the DMs make messages, whatever a long run lasts.
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nrules_dir = \"{}\"\n\
             [admin]\ntoken = \"{ADMIN}\"\n[accounts.acme]\nname = \"Acme\"\n\
             [accounts.acme.timeouts]\nbot_unresolved = \"24h\"\nqueue_update = \"24h\"\n\
             queue_max_wait = \"24h\"\ncustomer_idle = \"24h\"\n\
             [channels.webhook.outbound]\nsink = \"jsonl\"\npath = \"{}\"\n",
            fixture_rules().display(),
            out.display()
        ),
    )
    .unwrap();
    config
}

async fn kill_9_loop(cycles: usize) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let config = config(dir.path(), &out);
    let mut customers: Vec<Customer> = (0..CUSTOMERS)
        .map(|index| Customer { index, next: 0 })
        .collect();
    let mut starts = Vec::new();
    for cycle in 0..cycles {
        let (mut child, base, took) = spawn(&config);
        assert!(took < START_LIMIT, "start {cycle} took {took:?}");
        starts.push(took);
        let client = reqwest::Client::new();
        let acks = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = customers
            .drain(..)
            .map(|c| {
                tokio::spawn(converse(
                    c,
                    client.clone(),
                    base.clone(),
                    acks.clone(),
                    None,
                ))
            })
            .collect();
        // The kill comes at a random point of the traffic, after some acknowledgements.
        let kill_after = fastrand::usize(1..=200);
        within(
            Duration::from_secs(30),
            "acknowledgements before the kill",
            || std::future::ready((acks.load(Ordering::SeqCst) >= kill_after).then_some(())),
        )
        .await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for t in tasks {
            customers.push(t.await.expect("a customer's traffic"));
        }
        let total: usize = customers.iter().map(|c| c.next).sum();
        println!("cycle {cycle}: ready in {took:?}, killed after {kill_after}+ acks, {total} DMs acknowledged in all");
    }

    // The last start: every DM a kill left unanswered is sent again, then the sink must hold
    // one answer per DM.
    let (mut child, base, took) = spawn(&config);
    assert!(took < START_LIMIT, "the last start took {took:?}");
    starts.push(took);
    let client = reqwest::Client::new();
    let acks = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = customers
        .drain(..)
        .map(|c| {
            let until = Some(c.next + 1);
            tokio::spawn(converse(
                c,
                client.clone(),
                base.clone(),
                acks.clone(),
                until,
            ))
        })
        .collect();
    for t in tasks {
        customers.push(t.await.expect("a customer's traffic"));
    }
    let total: usize = customers.iter().map(|c| c.next).sum();
    within(
        Duration::from_secs(30),
        &format!("one reply at the sink for each of {total} DMs"),
        || std::future::ready(all_replied(&out, &customers).then_some(())),
    )
    .await;
    assert_answers_in_step(&out, &customers);
    child.kill().unwrap();
    child.wait().unwrap();

    let ms: Vec<u128> = starts.iter().map(Duration::as_millis).collect();
    println!(
        "{cycles} kills, {total} DMs; start-up ms: first {}, last {}, max {}",
        ms[0],
        ms[ms.len() - 1],
        ms.iter().max().unwrap()
    );
}

#[tokio::test]
async fn kill_9_loop_loses_nothing_acknowledged() {
    let cycles = std::env::var("BATON_KILL_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    kill_9_loop(cycles).await;
}

#[tokio::test]
#[ignore = "a long run: 100 kills"]
async fn kill_9_loop_long() {
    kill_9_loop(100).await;
}
