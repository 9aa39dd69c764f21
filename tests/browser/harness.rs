//! The harness itself: a browser reaches the daemon.

use crate::driver::with_browser;
use crate::support::{Daemon, FakeSink};

#[tokio::test]
async fn a_browser_reaches_the_daemon() {
    with_browser(|b| async move {
        let dir = tempfile::tempdir().unwrap();
        let sink = FakeSink::start().await;
        let mut d = Daemon::start(dir.path(), &sink.url, "127.0.0.1:0").await;
        b.goto(&format!("{}/healthz", d.base)).await;
        let text = b.body_text().await;
        assert!(
            text.contains("ok") || text.contains("status"),
            "health page: {text}"
        );
        d.stop().await;
    })
    .await;
}
