//! A disk that stops answering: the journal's sync never returns. Nothing is acknowledged,
//! the watchdog pings stop and `/readyz` turns 503 `stalled` (so systemd restarts the daemon);
//! once the disk answers again, the DM waiting on it is acknowledged and the daemon is ready.

use crate::support::*;
use baton::app::App;
use baton::clock::Clock;
use baton::engine::Heartbeat;
use baton::journal::{Files, OsFiles, Tapped, Watch};
use serde_json::json;
use std::io;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Whether syncs may return; a closed gate holds every `sync_data` until it opens.
#[derive(Debug, Default)]
struct Gate {
    closed: Mutex<bool>,
    changed: Condvar,
}

impl Gate {
    fn set(&self, closed: bool) {
        *self.closed.lock().unwrap() = closed;
        self.changed.notify_all();
    }

    fn pass(&self) {
        let mut closed = self.closed.lock().unwrap();
        while *closed {
            closed = self.changed.wait(closed).unwrap();
        }
    }
}

/// Opens the gate when dropped, so a test failing half-way never leaves a sync (and with it
/// the runtime's shutdown) waiting for ever.
struct Opens(Arc<Gate>);

impl Drop for Opens {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// Syncs wait at the gate (on the real file system, through [`Tapped`]).
impl Watch for Gate {
    fn sync_data(&self, _path: &Path) -> io::Result<()> {
        self.pass();
        Ok(())
    }
}

#[tokio::test]
async fn a_sync_that_never_returns_stops_the_pings_and_makes_the_daemon_unready() {
    let dir = tempfile::tempdir().unwrap();
    let gate = Arc::new(Gate::default());
    let _opens = Opens(gate.clone());
    let files: Arc<dyn Files> = Arc::new(Tapped::new(OsFiles, gate.clone()));
    let mut app = App::build_on(
        jsonl_config(&dir.path().join("data")),
        Clock::system(),
        files,
    )
    .await
    .unwrap();
    // A watchdog of 400 ms: stale after 200 ms; the loop wakes every 100 ms.
    let heartbeat = Heartbeat::new(Some(Duration::from_millis(400)));
    app.watched_by(heartbeat.clone());
    let running = app.spawn();
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    let ready = |client: reqwest::Client, base: String| async move {
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    eventually("ready", || {
        let r = ready(client.clone(), base.clone());
        async move { (r.await == 200).then_some(()) }
    })
    .await;

    gate.set(true);
    let dm = json!({"id": "e1", "account": "acme", "customer": {"id": "u1"}, "text": "hello"});
    let posted = {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            let r = client
                .post(format!("{base}/v1/channels/webhook/messages"))
                .json(&dm)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
    };
    eventually("unready while the sync hangs", || {
        let r = ready(client.clone(), base.clone());
        async move { (r.await == 503).then_some(()) }
    })
    .await;
    let body = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("stalled"), "{body}");
    // The loop goes on turning (every 100 ms), but pings no more.
    eventually("no ping for five of the loop's wake-ups", || {
        let quiet = heartbeat.since_ping().unwrap();
        async move { (quiet >= Duration::from_millis(500)).then_some(()) }
    })
    .await;
    assert!(!posted.is_finished(), "acknowledged before it was durable");

    gate.set(false);
    let (status, body) = posted.await.unwrap();
    assert_eq!((status, body.contains("accepted")), (200, true), "{body}");
    eventually("ready again", || {
        let r = ready(client.clone(), base.clone());
        async move { (r.await == 200).then_some(()) }
    })
    .await;
    eventually("pinging again", || {
        let since = heartbeat.since_ping().unwrap();
        async move { (since < Duration::from_millis(200)).then_some(()) }
    })
    .await;
    running.stop().await.unwrap();
}
