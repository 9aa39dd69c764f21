//! The server drops the console's socket (the daemon restarts on the same data dir and port):
//! the console reconnects and resumes, and no event is lost or shown twice.

use crate::driver::{testid, with_browser};
use crate::support::{Daemon, FakeSink};
use std::collections::HashSet;
use std::time::Duration;

#[tokio::test]
async fn a_restart_loses_and_doubles_nothing() {
    with_browser(|b| async move {
        let dir = tempfile::tempdir().unwrap();
        let sink = FakeSink::start().await;
        let mut d = Daemon::start(dir.path(), &sink.url, "127.0.0.1:0").await;
        let token = d.add_agent("Alissa", "Alissa, Acme").await;
        b.sign_in(&d, &token).await;
        d.dm("e1", "u1", "Jo", "agent").await;
        let cid = b.offer().await;
        b.accept(&cid).await;
        d.dm("e2", "u1", "Jo", "before the restart").await;
        b.until_message(&cid, "before the restart").await;

        let addr = d.addr.to_string();
        d.stop().await;
        let state = testid("connection-state");
        b.until("the console notices the socket is gone", || async {
            let s = b.attr(&state, "data-state").await?;
            (s != "connected").then_some(())
        })
        .await;
        let mut d = Daemon::start(dir.path(), &sink.url, &addr).await;
        // Written while the console may still be away: it must come with the resume.
        d.dm("e3", "u1", "Jo", "after the restart").await;
        // The console backs off between attempts; give it longer than one wait.
        b.until_within(Duration::from_secs(30), "the console is back", || async {
            (b.attr(&state, "data-state").await.as_deref() == Some("connected")).then_some(())
        })
        .await;
        b.until_message(&cid, "after the restart").await;
        d.dm("e4", "u1", "Jo", "once more").await;
        b.until_message(&cid, "once more").await;

        let shown = b.transcript(&cid).await;
        let ids: HashSet<&str> = shown.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids.len(), shown.len(), "a message shown twice: {shown:?}");
        for text in [
            "agent",
            "before the restart",
            "after the restart",
            "once more",
        ] {
            let n = shown.iter().filter(|(_, t)| t == text).count();
            assert_eq!(n, 1, "{text:?} shown {n} times: {shown:?}");
        }
        let tabs = testid("tab");
        assert_eq!(b.count(&tabs).await, 1, "one conversation, one tab");
        d.stop().await;
    })
    .await;
}
