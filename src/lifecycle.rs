//! The daemon's life under a supervisor: first contact (warnings about a config that is not
//! fit for production, the pid file, one sentence when another daemon holds the data dir),
//! the systemd watchdog, SIGHUP (reload the rules, `crate::reload`), and a shutdown bounded
//! by `[shutdown] grace`.
//!
//! On SIGTERM (or SIGINT) the shutdown broadcast goes out: the HTTP server stops accepting,
//! platforms posting to a channel hear `503` with `Retry-After` (they redeliver), agents'
//! sockets close with 1001, the engine drains what it was sent, the outbox runners finish the
//! sends in flight, and the engine takes its final checkpoint and barrier. All of it within
//! the grace, then exit 0. Past the grace the daemon exits anyway, non-zero, with one line
//! saying what had not finished: everything acknowledged is in the journal already, so
//! nothing promised is lost by not waiting. A second signal exits at once.

use crate::app::{App, Running};
use crate::config::Config;
use crate::engine::Heartbeat;
use crate::store::{StoreError, PID_FILE};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The admin token the shipped `baton.toml` carries: fine for a try, not for a server.
pub const SHIPPED_ADMIN_TOKEN: &str = "change-me";

/// What a platform is told to wait before redelivering to a daemon that is stopping.
pub const RETRY_AFTER_SECS: u64 = 5;

/// The exit code past the grace (what was left is logged).
const EXIT_PAST_GRACE: i32 = 1;
/// The exit code on a second signal: 128 + SIGTERM, as a shell reports a process it killed.
const EXIT_SECOND_SIGNAL: i32 = 143;

/// What a config leaves open that a production daemon should not: one sentence each.
pub fn warnings(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if config.admin_token.as_deref() == Some(SHIPPED_ADMIN_TOKEN) {
        out.push(format!(
            "the admin token is the shipped default '{SHIPPED_ADMIN_TOKEN}': anyone who reads \
             the example config can add agents; set BATON_ADMIN_TOKEN"
        ));
    }
    if config.webhook.secret.is_none() {
        out.push(
            "the generic webhook takes unsigned requests: anyone who can reach the port can \
             write as any customer; set BATON_WEBHOOK_SECRET"
                .to_owned(),
        );
    }
    out
}

/// Used by `main` (through `app::run_until_signal`): runs until SIGTERM or SIGINT, then stops
/// within the config's grace.
pub async fn run(config: Config) -> anyhow::Result<()> {
    for warning in warnings(&config) {
        tracing::warn!("{warning}");
    }
    let (grace, data_dir) = (config.shutdown_grace, config.data_dir.clone());
    // Before anything else: SIGHUP's default action ends the process, and `systemctl reload`
    // may send one as soon as systemd has heard READY=1.
    let hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut app = App::build(config).await.map_err(first_contact)?;
    app.watched_by(Heartbeat::from_env());
    let pid_file = PidFile::write(&data_dir);
    tokio::spawn(reload_on_hangup(app.reloader(), hangups));
    let mut running = app.spawn();
    let trigger = running.trigger();
    let mut signals = Signals::new()?;
    let result = tokio::select! {
        r = running.settle() => r,
        () = signals.next() => {
            tracing::info!(grace = ?grace, "stopping");
            let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
            trigger.trigger();
            tokio::select! {
                r = running.settle() => r,
                () = tokio::time::sleep(grace) => {
                    let left = running.unfinished().join(", ");
                    tracing::error!(
                        "stopping took longer than the {grace:?} grace; exiting with work \
                         unfinished: {left} (everything acknowledged is in the journal)"
                    );
                    std::process::exit(EXIT_PAST_GRACE);
                }
                () = signals.next() => {
                    tracing::warn!("second signal while stopping; exiting at once");
                    std::process::exit(EXIT_SECOND_SIGNAL);
                }
            }
        }
    };
    drop(pid_file);
    result
}

/// Each SIGHUP reloads the rules (one at a time; the outcome is logged and kept for
/// `/readyz`). Ends at shutdown, letting go of its engine handle so the engine can drain.
async fn reload_on_hangup(
    reloader: crate::reload::Reloader,
    mut hangups: tokio::signal::unix::Signal,
) {
    let crate::reload::Reloader {
        reload,
        engine,
        mut shutdown,
    } = reloader;
    loop {
        tokio::select! {
            got = hangups.recv() => {
                if got.is_none() {
                    return;
                }
                tracing::info!("SIGHUP: reloading");
                // The outcome is logged and recorded by `run` itself.
                let _ = reload.run(&engine).await;
            }
            () = shutdown.wait() => return,
        }
    }
}

/// A store another daemon holds becomes its one sentence, without the context around it.
fn first_contact(e: anyhow::Error) -> anyhow::Error {
    let locked = e
        .chain()
        .filter_map(|c| c.downcast_ref::<StoreError>())
        .find(|s| matches!(s, StoreError::Locked { .. }));
    match locked {
        Some(locked) => anyhow::anyhow!("{locked}"),
        None => e,
    }
}

/// Whether a request is a platform posting to a channel: while stopping, such a request hears
/// `stopping()` (the engine may no longer be taking input, and the platform redelivers); the
/// HTTP guard (`http::guard`) asks before routing.
pub fn is_channel_post(method: &Method, path: &str) -> bool {
    method == Method::POST && path.starts_with("/v1/channels/")
}

/// The answer to a platform while the daemon stops.
pub fn stopping() -> Response {
    let body = json!({
        "error": "unavailable",
        "message": "baton is stopping; deliver this again later",
    });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, RETRY_AFTER_SECS.into());
    response
}

/// `baton.pid` in the data dir, written once the store (and so sled's lock) is ours: what a
/// second daemon names when it finds the lock taken. Removed on a clean stop.
struct PidFile(Option<PathBuf>);

impl PidFile {
    fn write(dir: &Path) -> PidFile {
        let path = dir.join(PID_FILE);
        match std::fs::write(&path, format!("{}\n", std::process::id())) {
            Ok(()) => PidFile(Some(path)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot write the pid file");
                PidFile(None)
            }
        }
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// SIGTERM and SIGINT, as one stream.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

impl Running {
    /// Names of the tasks that have not finished (for the line logged past the grace).
    pub fn unfinished(&self) -> Vec<&'static str> {
        self.tasks()
            .filter(|(_, t)| !t.is_finished())
            .map(|(name, _)| name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn config(extra: &str) -> Config {
        let text = format!("[accounts.acme]\nname = \"Acme\"\n{extra}");
        Config::parse(&text, Path::new("/etc/baton/baton.toml"), |_| None).unwrap()
    }

    #[test]
    fn the_grace_defaults_to_ten_seconds_and_can_be_set() {
        assert_eq!(config("").shutdown_grace, Duration::from_secs(10));
        let set = config("[shutdown]\ngrace = \"2m\"\n");
        assert_eq!(set.shutdown_grace, Duration::from_secs(120));
    }

    #[test]
    fn the_shipped_token_and_an_unsigned_webhook_are_warned_about() {
        let shipped = config("[admin]\ntoken = \"change-me\"\n");
        let said = warnings(&shipped);
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(said[0].contains("'change-me'"), "{said:?}");
        assert!(said[1].contains("unsigned"), "{said:?}");
        let fit = config("[admin]\ntoken = \"s3cret\"\n[channels.webhook]\nsecret = \"k\"\n");
        assert!(warnings(&fit).is_empty());
    }

    #[test]
    fn only_posts_to_a_channel_are_refused_while_stopping() {
        assert!(is_channel_post(
            &Method::POST,
            "/v1/channels/webhook/messages"
        ));
        assert!(is_channel_post(
            &Method::POST,
            "/v1/channels/twitter/webhook"
        ));
        assert!(!is_channel_post(&Method::GET, "/v1/channels"));
        assert!(!is_channel_post(
            &Method::GET,
            "/v1/channels/twitter/webhook"
        ));
        assert!(!is_channel_post(&Method::POST, "/v1/agents"));
        let r = stopping();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "5");
    }

    #[test]
    fn a_locked_store_is_one_sentence() {
        let locked = StoreError::Locked {
            dir: PathBuf::from("/var/lib/baton"),
            pid: Some(4242),
        };
        let e = anyhow::Error::new(locked).context("opening the store in /var/lib/baton");
        assert_eq!(
            first_contact(e).to_string(),
            "another baton (pid 4242) is using /var/lib/baton"
        );
    }
}
