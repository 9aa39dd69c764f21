//! The runner against a real store and a scripted sink: nothing lost, nothing sent twice,
//! order kept per conversation, the watermark saved.

use super::feed::Feeds;
use super::*;
use crate::domain::Author;
use crate::store::tests::{conversation, message};
use crate::store::TurnRecord;
use std::collections::VecDeque;
use std::sync::Mutex;

#[derive(Default)]
struct Script {
    sent: Mutex<Vec<String>>,
    /// Answers to give, per message id, before delivering.
    answers: Mutex<HashMap<String, VecDeque<Delivery>>>,
    /// Every try, per message id.
    tries: Mutex<HashMap<String, u32>>,
}

struct ScriptedSink(Arc<Script>);

impl Sink for ScriptedSink {
    fn send<'a>(&'a self, _: &'a Outbound, m: &'a Message) -> BoxFuture<'a, Delivery> {
        let id = m.id.to_string();
        *self.0.tries.lock().unwrap().entry(id.clone()).or_default() += 1;
        let answer = self
            .0
            .answers
            .lock()
            .unwrap()
            .get_mut(&id)
            .and_then(|q| q.pop_front())
            .unwrap_or(Delivery::Delivered);
        if answer == Delivery::Delivered {
            self.0.sent.lock().unwrap().push(id);
        }
        Box::pin(std::future::ready(answer))
    }
}

/// Writes turn `seq` of conversation `conv`: the customer's message, then `out` bot messages
/// numbered from `first`. Returns what the feed would carry.
fn put_turn(store: &Store, seq: u64, conv: u64, first: u64, out: u64) -> Option<Outbound> {
    let mut messages = vec![message(conv, first, Author::Customer)];
    messages.extend((1..=out).map(|i| message(conv, first + i, Author::Bot)));
    let turn = TurnRecord {
        event: None,
        conversation: conversation(conv, seq + 1),
        messages,
    };
    let mut set = WriteSet::default();
    set.turn(seq, &turn);
    store.write(set).unwrap();
    Outbound::from_turn(seq, &turn)
}

struct Harness {
    store: Store,
    feeds: Feeds,
    script: Arc<Script>,
    trigger: crate::shutdown::Trigger,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

fn start(before: impl FnOnce(&Store)) -> Harness {
    start_with(before, None)
}

/// `durable`: how much of the log counts as flushed at start (all of it when `None`).
fn start_with(before: impl FnOnce(&Store), durable: Option<u64>) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    before(&store);
    let mut feeds = Feeds::default();
    let feed = feeds.add(Channel::Webhook);
    // What was written before the runner starts counts as flushed, as it would after a restart.
    feeds.set_durable(durable.unwrap_or(store.load().unwrap().next_turn));
    let script = Arc::new(Script::default());
    let (trigger, shutdown) = crate::shutdown::channel();
    let outbox = Outbox {
        store: store.clone(),
        channel: Channel::Webhook,
        sink: Arc::new(ScriptedSink(script.clone())),
        feed,
        retry_ceiling: Duration::from_secs(4),
        metrics: crate::metrics::Metrics::disabled(),
    };
    let task = tokio::spawn(outbox.run(shutdown));
    Harness {
        store,
        feeds,
        script,
        trigger,
        task,
        _dir: dir,
    }
}

impl Harness {
    async fn settle(&self) {
        // Paused time: sleeping lets every retry and round run to completion.
        tokio::time::sleep(Duration::from_secs(30)).await;
    }

    fn sent(&self) -> Vec<String> {
        self.script.sent.lock().unwrap().clone()
    }

    fn script(&self, id: &str, answers: impl IntoIterator<Item = Delivery>) {
        let mut a = self.script.answers.lock().unwrap();
        a.insert(id.into(), answers.into_iter().collect());
    }

    async fn stop(self) -> Store {
        self.trigger.trigger();
        self.task.await.unwrap();
        self.store
    }
}

fn retry() -> Delivery {
    Delivery::Retry("HTTP 503".into())
}

#[tokio::test(start_paused = true)]
async fn recovers_from_the_watermark_then_goes_live_and_saves_progress() {
    let h = start(|store| {
        put_turn(store, 0, 1, 0, 1);
        put_turn(store, 1, 1, 2, 2);
        put_turn(store, 2, 2, 0, 1);
        let mut set = WriteSet::default();
        set.watermark(Channel::Webhook, 1);
        store.write(set).unwrap();
    });
    h.settle().await;
    // Turn 0 was delivered before the restart (below the watermark): not sent again.
    assert_eq!(h.sent(), ["c1-3", "c1-4", "c2-1"]);
    // Live: a turn without outgoing messages (3) and one with (4).
    put_turn(&h.store, 3, 3, 0, 0);
    let t4 = put_turn(&h.store, 4, 3, 1, 1);
    h.feeds.offer(3..5, t4.into_iter().collect());
    h.settle().await;
    assert_eq!(h.sent(), ["c1-3", "c1-4", "c2-1", "c3-2"]);
    let store = h.stop().await;
    assert_eq!(store.watermark(Channel::Webhook).unwrap(), 5);
}

#[tokio::test(start_paused = true)]
async fn a_stuck_message_holds_back_only_its_conversation_and_resumes_in_order() {
    let h = start(|_| {});
    h.settle().await;
    h.script("c1-2", (0..ATTEMPTS).map(|_| retry()));
    let a = put_turn(&h.store, 0, 1, 0, 2); // c1-1, c1-2 (stuck for one round)
    let b = put_turn(&h.store, 1, 2, 0, 1); // c2-1
    let c = put_turn(&h.store, 2, 1, 3, 1); // c1-4, must wait for c1-2
    h.feeds
        .offer(0..3, [a, b, c].into_iter().flatten().collect());
    h.settle().await;
    let sent = h.sent();
    assert_eq!(sent.iter().filter(|s| s.starts_with("c2")).count(), 1);
    let c1: Vec<&String> = sent.iter().filter(|s| s.starts_with("c1")).collect();
    assert_eq!(c1, ["c1-1", "c1-2", "c1-4"], "in order, each once");
    let store = h.stop().await;
    assert_eq!(store.watermark(Channel::Webhook).unwrap(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_stuck_conversation_is_not_overtaken_from_a_later_page() {
    let h = start(|store| {
        put_turn(store, 0, 1, 0, 1); // c1-1: stuck for a while
        for seq in 1..=(PAGE as u64 + 5) {
            put_turn(store, seq, 100 + seq, 0, 1);
        }
        put_turn(store, PAGE as u64 + 6, 1, 2, 1); // c1-3, a page later
    });
    h.script("c1-1", (0..ATTEMPTS * 2).map(|_| retry()));
    h.settle().await;
    h.settle().await;
    let sent = h.sent();
    let c1: Vec<&String> = sent.iter().filter(|s| s.starts_with("c1-")).collect();
    assert_eq!(c1, ["c1-1", "c1-3"]);
    assert_eq!(sent.len(), PAGE + 5 + 2, "every message exactly once");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_gap_in_the_feed_is_filled_from_the_store() {
    let h = start(|_| {});
    h.settle().await;
    let t0 = put_turn(&h.store, 0, 1, 0, 1);
    let _t1 = put_turn(&h.store, 1, 2, 0, 1); // never offered: the feed dropped it
    let t2 = put_turn(&h.store, 2, 3, 0, 1);
    h.feeds.offer(0..1, t0.into_iter().collect());
    h.feeds.offer(2..3, t2.into_iter().collect());
    h.settle().await;
    let mut sent = h.sent();
    sent.sort();
    assert_eq!(sent, ["c1-1", "c2-1", "c3-1"]);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_message_refused_for_good_is_kept_aside_and_the_rest_goes_on() {
    let h = start(|_| {});
    h.settle().await;
    h.script("c1-1", [Delivery::Failed("HTTP 400".into())]);
    let a = put_turn(&h.store, 0, 1, 0, 2);
    h.feeds.offer(0..1, a.into_iter().collect());
    h.settle().await;
    assert_eq!(h.sent(), ["c1-2"]);
    let store = h.stop().await;
    assert_eq!(store.watermark(Channel::Webhook).unwrap(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_turn_not_yet_flushed_is_never_sent_from_the_log() {
    // Turn 1 is written (applied) but its flush has not happened: durable ends at 1.
    let h = start_with(
        |store| {
            put_turn(store, 0, 1, 0, 1);
            put_turn(store, 1, 2, 0, 1);
        },
        Some(1),
    );
    h.settle().await;
    assert_eq!(h.sent(), ["c1-1"]);
    // The next flush covers turns 1 and 2; the feed shows a gap, the log fills it.
    let t2 = put_turn(&h.store, 2, 3, 0, 1);
    h.feeds.offer(2..3, t2.into_iter().collect());
    h.settle().await;
    assert_eq!(h.sent(), ["c1-1", "c2-1", "c3-1"]);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_bot_message_overtaken_by_a_handoff_is_kept_aside_not_sent() {
    let h = start(|_| {});
    h.settle().await;
    // The bot's reply (epoch 0) has not gone out when an agent takes over (epoch 1).
    let bot = put_turn(&h.store, 0, 1, 0, 1);
    let mut agent = put_turn(&h.store, 1, 1, 2, 1).unwrap();
    for m in &mut agent.pending {
        m.from = Author::Agent;
        m.epoch = 1;
    }
    h.feeds
        .offer(0..2, [bot, Some(agent)].into_iter().flatten().collect());
    h.settle().await;
    // Only the agent's message reaches the customer; the bot's is kept with the reason.
    assert_eq!(h.sent(), ["c1-3"]);
    let store = h.stop().await;
    assert_eq!(store.watermark(Channel::Webhook).unwrap(), 2);
}

/// Turn `seq` of conversation `conv` with `out` messages signed by agent a0's profile.
fn agent_turn(store: &Store, seq: u64, conv: u64, out: u64) -> Outbound {
    let mut o = put_turn(store, seq, conv, 0, out).unwrap();
    for m in &mut o.pending {
        m.from = Author::Agent;
        m.profile = Some(crate::domain::Profile {
            id: "acme-a0".into(),
            name: "Sam".into(),
            avatar: String::new(),
        });
    }
    o
}

/// Fills the report channel, as if the engine had stopped taking reports.
fn fill_reports(h: &Harness) {
    let mut filler = h.feeds.clone().add(Channel::Webhook).reporter();
    let turn = agent_turn(&h.store, 900, 900, 1);
    let report = report::Report::of(&turn.account, &turn.pending[0], report::Outcome::Delivered);
    while !filler.waiting() {
        filler.push(900, report.clone().unwrap());
        filler.offer();
    }
}

/// What the batches report (but the filler's), each batch said to be kept when `kept`.
fn outcomes(batches: Vec<report::Batch>, kept: bool) -> Vec<(String, report::Outcome)> {
    let mut out = Vec::new();
    for batch in batches {
        if kept {
            batch.kept();
        }
        out.extend(
            batch
                .reports
                .into_iter()
                .filter(|r| r.message.conversation.0 != 900)
                .map(|r| (r.message.to_string(), r.outcome)),
        );
    }
    out
}

#[tokio::test(start_paused = true)]
async fn the_final_outcome_of_each_message_a_person_signed_is_reported() {
    let h = start(|_| {});
    let mut reports = h.feeds.take_reports();
    h.settle().await;
    h.script("c1-2", [Delivery::Failed("HTTP 400".into())]);
    h.script("c1-3", [retry(), Delivery::Delivered]);
    let bot = put_turn(&h.store, 0, 2, 0, 1);
    let people = agent_turn(&h.store, 1, 1, 3);
    h.feeds
        .offer(0..2, [bot, Some(people)].into_iter().flatten().collect());
    h.settle().await;
    let failed = report::Outcome::Failed("HTTP 400".into());
    assert_eq!(
        outcomes(reports.next().await, true),
        [
            ("c1-1".into(), report::Outcome::Delivered),
            ("c1-2".into(), failed),
            ("c1-3".into(), report::Outcome::Delivered),
        ],
        "the bot's c2-1 has nobody to tell; a retry is not an outcome"
    );
    let store = h.stop().await;
    assert_eq!(store.watermark(Channel::Webhook).unwrap(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_failure_the_engine_had_no_room_for_is_handed_over_later() {
    let h = start(|_| {});
    let mut reports = h.feeds.take_reports();
    h.settle().await;
    fill_reports(&h);
    h.script("c1-1", [Delivery::Failed("HTTP 400".into())]);
    let t0 = agent_turn(&h.store, 0, 1, 1);
    h.feeds.offer(0..1, vec![t0]);
    h.settle().await;
    let mut waiting = Vec::new();
    reports.ready(&mut waiting);
    assert!(
        outcomes(waiting, true).is_empty(),
        "the failure is still with the runner"
    );
    h.settle().await;
    let failed = report::Outcome::Failed("HTTP 400".into());
    assert_eq!(
        outcomes(reports.next().await, true),
        [("c1-1".into(), failed)]
    );
    let store = h.stop().await;
    assert_eq!(store.watermark(Channel::Webhook).unwrap(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failure_not_kept_by_the_engine_holds_the_watermark_back() {
    for handed_over in [false, true] {
        let h = start(|_| {});
        let mut reports = h.feeds.take_reports();
        h.settle().await;
        if !handed_over {
            fill_reports(&h);
        }
        h.script("c1-1", [Delivery::Failed("HTTP 400".into())]);
        let t0 = agent_turn(&h.store, 0, 1, 1);
        let t1 = put_turn(&h.store, 1, 2, 0, 1);
        h.feeds
            .offer(0..2, [Some(t0), t1].into_iter().flatten().collect());
        h.settle().await;
        assert_eq!(h.sent(), ["c2-1"]);
        let mut taken = Vec::new();
        reports.ready(&mut taken);
        let told = outcomes(taken, false);
        assert_eq!(told.len(), usize::from(handed_over));
        // Stopped before the engine kept the notice: turn 0 is sent again after a restart,
        // and its failure reported then.
        let store = h.stop().await;
        assert_eq!(store.watermark(Channel::Webhook).unwrap(), 0);
    }
}

#[tokio::test(start_paused = true)]
async fn a_long_outage_is_tried_at_the_ceiling_pace_and_delivered_in_order_after() {
    let h = start(|_| {});
    h.settle().await;
    // c1 is down for ten minutes; c2 is fine throughout.
    h.script("c1-1", (0..100_000).map(|_| retry()));
    let a = put_turn(&h.store, 0, 1, 0, 1); // c1-1
    let b = put_turn(&h.store, 1, 1, 2, 1); // c1-3, behind c1-1
    h.feeds.offer(0..2, [a, b].into_iter().flatten().collect());
    let window = Duration::from_secs(600);
    tokio::time::sleep(window).await;
    let c = put_turn(&h.store, 2, 2, 0, 1); // c2-1, during the outage
    h.feeds.offer(2..3, c.into_iter().collect());
    h.settle().await;
    assert_eq!(h.sent(), ["c2-1"], "another conversation is not held back");
    let tries = h
        .script
        .tries
        .lock()
        .unwrap()
        .get("c1-1")
        .copied()
        .unwrap_or(0);
    // The first round's quick retries, the doubling up to the 4 s ceiling (1, 2, 4), then at
    // least 3 s (the ceiling less its jitter) between tries: about 215 at most. Without the
    // ceiling's waits it was five tries every round (every ~5 s): 600 in this time.
    let most = ATTEMPTS + 3 + (window + Duration::from_secs(30)).as_secs() as u32 / 3;
    assert!(
        (10..=most).contains(&tries),
        "{tries} tries, at most {most}"
    );
    assert_eq!(
        h.script.tries.lock().unwrap().get("c1-3"),
        None,
        "never overtaken"
    );
    // The receiver is back: within a ceiling and a round, everything goes, in order.
    h.script("c1-1", []);
    h.settle().await;
    assert_eq!(h.sent(), ["c2-1", "c1-1", "c1-3"]);
    let store = h.stop().await;
    assert_eq!(store.watermark(Channel::Webhook).unwrap(), 3);
}
