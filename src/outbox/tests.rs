//! The runner's two modes against a real store and a scripted sink: nothing lost, nothing sent
//! twice, order kept per conversation.

use super::feed::Feeds;
use super::*;
use crate::domain::{
    AccountId, Author, Channel, ConversationId, Customer, CustomerId, MessageId, Timestamp,
};
use crate::store::{TurnRecord, WriteSet};
use std::collections::VecDeque;
use std::sync::Mutex;

#[derive(Default)]
struct Script {
    sent: Mutex<Vec<String>>,
    /// Answers to give, per message id, before delivering.
    answers: Mutex<HashMap<String, VecDeque<Delivery>>>,
}

struct ScriptedSink(Arc<Script>);

impl Sink for ScriptedSink {
    fn send<'a>(&'a self, _: &'a OutboxRecord, m: &'a Message) -> BoxFuture<'a, Delivery> {
        let id = m.id.to_string();
        let answer = self
            .0
            .answers
            .lock()
            .unwrap()
            .get_mut(&id)
            .and_then(|q| q.pop_front());
        let answer = answer.unwrap_or(Delivery::Delivered);
        if answer == Delivery::Delivered {
            self.0.sent.lock().unwrap().push(id);
        }
        Box::pin(std::future::ready(answer))
    }
}

fn bot_message(conv: u64, seq: u64) -> Message {
    Message {
        id: MessageId {
            conversation: ConversationId(conv),
            seq,
        },
        from: Author::Bot,
        text: format!("reply {seq}"),
        payload: None,
        quick_replies: Vec::new(),
        profile: None,
        at: Timestamp(0),
        epoch: 0,
    }
}

/// Writes a turn of `n` bot messages and its outbox entry; returns what the feed would carry.
fn put_turn(store: &Store, out_seq: u64, conv: u64, first: u64, n: u64) -> Outbound {
    let out = turn(out_seq, conv, first, n);
    let mut set = WriteSet::default();
    set.append_turn(&TurnRecord {
        conversation: None,
        messages: out.pending.clone(),
    });
    set.outbox_put(out.key, &out.record);
    store.write(set).unwrap();
    out
}

/// A turn of `n` bot messages as the feed carries it.
fn turn(out_seq: u64, conv: u64, first: u64, n: u64) -> Outbound {
    let messages: Vec<Message> = (first..first + n).map(|s| bot_message(conv, s)).collect();
    let key = OutboxKey {
        channel: Channel::Webhook,
        seq: out_seq,
    };
    let record = OutboxRecord {
        account: AccountId::from("acme"),
        to: Customer {
            channel: Channel::Webhook,
            id: CustomerId(format!("u{conv}")),
            name: None,
        },
        conversation: ConversationId(conv),
        turn: first,
        sent: 0,
    };
    Outbound {
        key,
        record,
        pending: messages,
    }
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
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    before(&store);
    let mut feeds = Feeds::default();
    let feed = feeds.add(Channel::Webhook);
    let script = Arc::new(Script::default());
    let (trigger, shutdown) = crate::shutdown::channel();
    let outbox = Outbox {
        store: store.clone(),
        channel: Channel::Webhook,
        sink: Arc::new(ScriptedSink(script.clone())),
        feed,
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

    async fn stop(self) -> Store {
        self.trigger.trigger();
        self.task.await.unwrap();
        self.store
    }
}

#[tokio::test(start_paused = true)]
async fn recovers_from_the_store_then_goes_live_without_sending_twice() {
    let h = start(|store| {
        put_turn(store, 0, 1, 0, 2);
        put_turn(store, 1, 2, 0, 1);
    });
    h.settle().await;
    assert_eq!(h.sent(), ["c1-0", "c1-1", "c2-0"]);
    // A turn the scan already delivered (and removed) arrives on the feed late: the horizon
    // skips it.
    let late = turn(1, 2, 0, 1);
    let fresh = put_turn(&h.store, 2, 2, 1, 1);
    h.feeds.offer(vec![late, fresh]);
    h.settle().await;
    assert_eq!(h.sent(), ["c1-0", "c1-1", "c2-0", "c2-1"]);
    let store = h.stop().await;
    assert!(store.outbox(Channel::Webhook, 10).unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_stuck_message_holds_back_only_its_conversation_and_resumes_in_order() {
    let h = start(|_| {});
    h.settle().await;
    let retry = || Delivery::Retry("HTTP 503".into());
    h.script
        .answers
        .lock()
        .unwrap()
        .insert("c1-1".into(), (0..ATTEMPTS).map(|_| retry()).collect());
    let a = put_turn(&h.store, 0, 1, 0, 2);
    let b = put_turn(&h.store, 1, 2, 0, 1);
    let c = put_turn(&h.store, 2, 1, 2, 1);
    h.feeds.offer(vec![a, b, c]);
    h.settle().await;
    let sent = h.sent();
    // Conversation 2 was not held back; conversation 1 resumed after c1-0, in order, once.
    assert_eq!(sent.iter().filter(|s| s.starts_with("c2")).count(), 1);
    let c1: Vec<&String> = sent.iter().filter(|s| s.starts_with("c1")).collect();
    assert_eq!(c1, ["c1-0", "c1-1", "c1-2"]);
    let store = h.stop().await;
    assert!(store.outbox(Channel::Webhook, 10).unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_overflowing_feed_falls_back_to_the_store() {
    let h = start(|_| {});
    h.settle().await;
    // Far more batches than the feed holds, offered while the runner cannot take them.
    let mut offered = 0;
    for i in 0..400u64 {
        h.feeds.offer(vec![put_turn(&h.store, i, i, 0, 1)]);
        offered += 1;
    }
    h.settle().await;
    let mut sent = h.sent();
    assert_eq!(sent.len(), offered, "every turn delivered exactly once");
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), offered);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_message_refused_for_good_is_kept_aside_and_the_rest_goes_on() {
    let h = start(|_| {});
    h.settle().await;
    h.script
        .answers
        .lock()
        .unwrap()
        .insert("c1-0".into(), [Delivery::Failed("HTTP 400".into())].into());
    let a = put_turn(&h.store, 0, 1, 0, 2);
    h.feeds.offer(vec![a]);
    h.settle().await;
    assert_eq!(h.sent(), ["c1-1"]);
    let store = h.stop().await;
    assert!(store.outbox(Channel::Webhook, 10).unwrap().is_empty());
}
