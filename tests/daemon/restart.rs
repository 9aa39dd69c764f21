//! Stop the daemon, start it again: conversations, transcripts and the queue are all there.

use crate::support::*;

#[tokio::test]
async fn the_queue_and_transcripts_survive_a_restart() {
    let (dir, mut sink, mut d) = fresh().await;
    d.dm("r1", "alice", "agent please").await;
    d.dm("r2", "bob", "human").await;
    d.dm("r3", "carol", "hello").await;
    sink.skip(7).await;
    d.stop().await;

    let mut d = Daemon::start(dir.path(), &sink.url).await;
    let (_, raw) = d.admin("/v1/queue/acme").await;
    let first = &raw["entries"][0];
    assert_eq!(
        (first["conversation"].as_str(), first["position"].as_u64()),
        (Some("c0"), Some(1))
    );
    assert!(
        first["queued_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{first}"
    );
    let q = d.queue().await;
    let order: Vec<&str> = q.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(order, ["alice", "bob"]);
    // Already-seen events stay seen; the bot remembers carol was greeted.
    assert_eq!(d.dm("r3", "carol", "hello").await.1["status"], "duplicate");
    d.dm("r4", "carol", "agent").await;
    sink.assert_texts(&[
        "Connecting you with a person on our team.",
        "A person will be with you soon. You are number 3 in line.",
    ])
    .await;
    let (_, conv) = d.admin("/v1/conversations/c2").await;
    let texts: Vec<&str> = conv["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts[0], "hello");
    assert_eq!(texts.len(), 5, "{texts:?}");
    d.stop().await;
}
