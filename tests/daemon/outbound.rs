//! The outbox retries transient failures in order and sets aside what fails for good.

use crate::support::*;

#[tokio::test]
async fn transient_failures_are_retried_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    sink.script.lock().unwrap().extend([503, 500]);
    let d = Daemon::start(dir.path(), &sink.url).await;
    d.dm("o1", "u1", "where is my order").await;
    sink.assert_texts(&["Hi Jo! I'm an automated assistant.", TRACK])
        .await;
}

#[tokio::test]
async fn a_permanent_failure_does_not_block_the_next_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    sink.script.lock().unwrap().push_back(400);
    let d = Daemon::start(dir.path(), &sink.url).await;
    d.dm("p1", "u1", "where is my order").await;
    // The greeting was refused for good; the reply after it still goes out.
    assert_eq!(sink.next_text().await, TRACK);
    // And the refused greeting is not tried again.
    sink.assert_nothing_more_for(&d, "p2", "u1").await;
}

#[tokio::test]
async fn undelivered_messages_are_sent_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    // The platform is down for longer than one round of retries.
    sink.script.lock().unwrap().extend([503; 5]);
    let mut d = Daemon::start(dir.path(), &sink.url).await;
    d.dm("q1", "u1", "hi").await;
    eventually("the platform refuses the greeting", || {
        std::future::ready((sink.script.lock().unwrap().len() < 5).then_some(()))
    })
    .await;
    d.stop().await;
    sink.script.lock().unwrap().clear();
    let _d = Daemon::start(dir.path(), &sink.url).await;
    assert_eq!(sink.next_text().await, "Hi Jo! I'm an automated assistant.");
}
