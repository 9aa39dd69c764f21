//! Backup of a large store: 100,000 conversations (90% at rest, 10% open, written straight
//! into a store as checkpoints would have left them, like `benches/startup.rs`), each with a
//! few turns of a customer's message and the bot's answer. Prints how long `Store::snapshot`
//! takes, how long writes wait for it (a writer thread beside it measures its slowest write),
//! how long encoding the file takes, the file's size, and how long a restore into an empty dir
//! takes.
//!
//! `cargo bench --bench backup` — env: BENCH_CONVERSATIONS (default 100000), BENCH_TURNS
//! (turns per conversation, default 3).

#[path = "../tests/daemon/history/fill.rs"]
mod fill;

use baton::domain::{
    AccountId, Author, Channel, Conversation, ConversationId, Customer, CustomerId, Message,
    Timestamp,
};
use baton::store::{Store, TurnRecord, WriteSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn message(id: u64, seq: u64, from: Author, text: &str) -> Message {
    fill::message(id, seq, from, text, Timestamp(1_700_000_000_000 + seq))
}

/// Adds `turns` turns to each of the `n` conversations: the hot path's records, which make
/// most of a real store's bytes.
fn add_turns(store: &Store, n: u64, turns: u64, closed: u64) {
    let mut next = store.next_turn().expect("next turn");
    let mut set = WriteSet::default();
    for id in 0..n {
        let who = Customer {
            channel: Channel::Webhook,
            id: CustomerId(fill::customer(id, closed)),
            name: Some("Jo".into()),
        };
        let c = Conversation::new(
            ConversationId(id),
            AccountId::from("acme"),
            who,
            Timestamp(0),
        );
        for t in 0..turns {
            let messages = vec![
                message(id, 2 * t, Author::Customer, "where is my order, it is late"),
                message(id, 2 * t + 1, Author::Bot, "You can track any order here."),
            ];
            let record = TurnRecord {
                event: None,
                conversation: c.clone(),
                messages,
            };
            set.turn(next, &record);
            next += 1;
        }
        if id % 5_000 == 4_999 {
            store.write(std::mem::take(&mut set)).expect("write");
        }
    }
    store.write(set).expect("write");
    store.barrier().expect("barrier");
}

fn main() {
    let n = env("BENCH_CONVERSATIONS", 100_000);
    let turns = env("BENCH_TURNS", 3);
    let closed = n - n / 10;
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let t = Instant::now();
    fill::write(&data, closed, n - closed);
    let store = Store::open(&data, 64 << 20).expect("store");
    add_turns(&store, n, turns, closed);
    println!(
        "filled {n} conversations with {turns} turns each in {:.1?}",
        t.elapsed()
    );

    // A writer beside the snapshot, as the engine would be: its slowest write is the wait.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || {
            let (mut slowest, mut writes) = (Duration::ZERO, 0u64);
            while !stop.load(Ordering::Relaxed) {
                let mut set = WriteSet::default();
                set.watermark(Channel::Twitter, writes);
                let t = Instant::now();
                store.write(set).expect("write");
                slowest = slowest.max(t.elapsed());
                writes += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
            (slowest, writes)
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    let snapshot = store.snapshot().expect("snapshot");
    let took = t.elapsed();
    let counts = snapshot.counts();
    let file = tmp.path().join("baton.backup");
    let t = Instant::now();
    let out = std::io::BufWriter::new(std::fs::File::create(&file).expect("file"));
    let size = snapshot.write_to(out).expect("encode");
    let encoded = t.elapsed();
    drop(snapshot);
    stop.store(true, Ordering::Relaxed);
    let (slowest, writes) = writer.join().expect("writer");
    println!("snapshot: {took:.1?} in all ({counts})");
    println!("slowest concurrent write (the wait for the write lock): {slowest:.1?} (of {writes})");
    println!(
        "encoded to the file in {encoded:.1?}: {size} bytes ({:.1} MiB)",
        size as f64 / (1 << 20) as f64
    );
    drop(store);

    let target = tmp.path().join("restored");
    let t = Instant::now();
    let restored = baton::store::restore_backup(&file, &target, 64 << 20).expect("restore");
    println!(
        "restored in {:.1?} ({} keys, verified first)",
        t.elapsed(),
        restored.counts.keys
    );
}
