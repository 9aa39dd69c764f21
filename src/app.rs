//! Start-up in two steps: `build` (open the store, load rules, bind; may fail) and `spawn`
//! (start the tasks; cannot fail).

use crate::agents::session::CannedReplies;
use crate::channels::twitter::api::Client as TwitterClient;
use crate::channels::twitter::outbound::{ProfileDirectory, TwitterSink};
use crate::channels::twitter::profiles::ProfileKeeper;
use crate::channels::twitter::{signals as twitter_signals, SentIds};
use crate::channels::webhook::{Attribution, HttpSink, JsonlSink};
use crate::clock::Clock;
use crate::config::{Config, SinkConfig};
use crate::domain::{AccountId, Channel};
use crate::engine::{Engine, Heartbeat};
use crate::http;
use crate::outbox::feed::Feeds;
use crate::outbox::{Outbox, Sink};
use crate::shared::{Parts, Shared, TwitterIn};
use crate::shutdown::{self, Trigger};
use crate::store::Store;
use anyhow::Context;
use foldhash::{HashMap, HashMapExt, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How long one call to the Twitter/X API may take before it counts as failed (and is retried).
const TWITTER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Everything start-up prepared, not yet running.
pub struct App {
    trigger: Trigger,
    listener: TcpListener,
    engine: Engine,
    /// Shared (`Shared::new`) once spawned; until then `watched_by` may still set a part.
    state: Parts,
    /// One runner per channel: the generic webhook's, and Twitter's when it is configured.
    outboxes: Vec<Outbox>,
    /// Twitter's profile keeper, when the channel is configured.
    keeper: Option<Arc<ProfileKeeper>>,
    http: crate::config::HttpConfig,
}

/// A running daemon: its address, a way to stop it, and its tasks to wait for.
pub struct Running {
    pub addr: SocketAddr,
    trigger: Trigger,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
    failed: Arc<AtomicBool>,
}

/// Loads every account's rules; also what `baton check` runs (see `reload`).
pub use crate::reload::load_accounts;

impl App {
    pub async fn build(config: Config) -> anyhow::Result<App> {
        App::build_with_clock(config, Clock::system()).await
    }

    /// As `build`, on a given clock: tests pass the same one to a daemon they restart, so
    /// time advanced while it was stopped is seen by the next one.
    pub async fn build_with_clock(config: Config, clock: Clock) -> anyhow::Result<App> {
        App::build_on(config, clock, Arc::new(crate::journal::OsFiles)).await
    }

    /// As `build_with_clock`, with the journal's files on `files` (tests simulate power cuts
    /// with `journal::SimFiles`).
    pub async fn build_on(
        config: Config,
        clock: Clock,
        files: Arc<dyn crate::journal::Files>,
    ) -> anyhow::Result<App> {
        let cfg = config.clone();
        let metrics = crate::metrics::Metrics::new(config.metrics);
        // Filled once the rules are loaded below; a reload replaces them.
        let canned = Arc::new(CannedReplies::default());
        let reload =
            crate::reload::Reload::new(config.clone(), clock, metrics.clone(), canned.clone());
        let mut feeds = Feeds::default();
        let webhook_feed = feeds.add(Channel::Webhook);
        let twitter_feed = config
            .twitter
            .is_some()
            .then(|| feeds.add(Channel::Twitter));
        let (trigger, shutdown) = shutdown::channel();
        // Compiling a large RegexSet takes ~100 ms, and opening sled and replaying the turn log
        // read the disk: none of it belongs on a runtime thread.
        let replies = canned.clone();
        let (account_ids, bot_ids, made, store, mut engine, handle, attribution) =
            tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let accounts = load_accounts(&cfg).map_err(|e| anyhow::anyhow!("{e}"))?;
                // A receiver that cannot show profiles gets the signature in the text.
                let attribution = (!cfg.webhook.profiles).then(|| Attribution::new(&accounts));
                let ids: HashSet<String> = accounts.iter().map(|a| a.id.0.clone()).collect();
                replies.set(&accounts);
                // Only an id the rules set is a platform id; the default `<account>-bot` is not.
                let bot_ids: Vec<(AccountId, String)> = accounts
                    .iter()
                    .filter_map(|a| Some((a.id.clone(), a.rules.bot.profile.id.clone()?)))
                    .collect();
                std::fs::create_dir_all(&cfg.data_dir)
                    .with_context(|| format!("creating {}", cfg.data_dir.display()))?;
                let store = Store::open_with(&cfg.data_dir, cfg.cache_bytes, files)
                    .with_context(|| format!("opening the store in {}", cfg.data_dir.display()))?;
                let made = store
                    .platform_profiles(Channel::Twitter)
                    .context("reading the Twitter profiles made")?;
                let retention = cfg.event_retention;
                let (engine, handle) =
                    Engine::build(store.clone(), accounts, feeds, clock, retention)
                        .context("loading state from the store")?;
                Ok((ids, bot_ids, made, store, engine, handle, attribution))
            })
            .await??;
        engine.measured_by(metrics.clone());
        let sink: Arc<dyn Sink> = match &config.webhook.sink {
            SinkConfig::Jsonl { path } => Arc::new(
                JsonlSink::open(path.as_deref())
                    .await
                    .context("opening the outbound jsonl file")?
                    .with_attribution(attribution),
            ),
            SinkConfig::Http { url, timeout } => {
                Arc::new(HttpSink::new(url.clone(), *timeout)?.with_attribution(attribution))
            }
        };
        let mut outboxes = vec![Outbox {
            store: store.clone(),
            channel: Channel::Webhook,
            sink,
            feed: webhook_feed,
            retry_ceiling: config.outbound.retry_ceiling,
            metrics: metrics.clone(),
        }];
        let mut twitter_status = None;
        let mut keeper = None;
        let sent = SentIds::default();
        if let (Some(feed), Some(app)) = (twitter_feed, &config.twitter) {
            let profiles = ProfileDirectory::default();
            let mut clients = Vec::new();
            let mut keeper_clients = Vec::new();
            let mut signal_clients = HashMap::new();
            for acc in &config.accounts {
                if let Some(t) = &acc.twitter {
                    let id = AccountId(acc.id.clone());
                    let client = TwitterClient::new(app, t, TWITTER_TIMEOUT)
                        .context("building the Twitter client")?;
                    clients.push((id.clone(), client));
                    // A client of its own, so an avatar upload never queues behind messages.
                    let client = TwitterClient::new(app, t, TWITTER_TIMEOUT)
                        .context("building the Twitter client")?;
                    keeper_clients.push((id.clone(), client));
                    let client = TwitterClient::new(app, t, TWITTER_TIMEOUT)
                        .context("building the Twitter client")?;
                    signal_clients.insert(id, client);
                }
            }
            let kept = ProfileKeeper::new(
                store.clone(),
                profiles.clone(),
                bot_ids,
                keeper_clients,
                made,
            )
            .context("building the Twitter profile keeper")?;
            keeper = Some(Arc::new(kept));
            // Typing and read: live signals, on a task of their own (ends with the engine).
            let (outlet, signals) = tokio::sync::mpsc::channel(twitter_signals::OUTLET);
            engine.signals_to(outlet);
            twitter_signals::spawn(signal_clients, signals);
            let sink = TwitterSink::new(clients, profiles).remembering(sent.clone());
            twitter_status = Some(sink.status());
            outboxes.push(Outbox {
                store,
                channel: Channel::Twitter,
                sink: Arc::new(sink),
                feed,
                retry_ceiling: config.outbound.retry_ceiling,
                metrics: metrics.clone(),
            });
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        Ok(App {
            trigger,
            listener,
            engine,
            state: Parts {
                engine: handle,
                accounts: Arc::new(account_ids),
                webhook_secret: config.webhook.secret.as_deref().map(Arc::from),
                twitter: twitter_in(&config, sent),
                twitter_status,
                profile_keeper: keeper.clone(),
                admin_token: config.admin_token.as_deref().map(Arc::from),
                ready: Arc::new(AtomicBool::new(false)),
                heartbeat: Heartbeat::default(),
                agent_auth_timeout: config.agent_auth_timeout,
                canned,
                try_page: config.console.try_page,
                shutdown,
                reload,
                metrics,
            },
            outboxes,
            keeper,
            http: config.http.clone(),
        })
    }

    /// The heartbeat the engine loop stamps and `/readyz` reads (with systemd's watchdog).
    pub fn watched_by(&mut self, heartbeat: Heartbeat) {
        self.engine.watched_by(heartbeat.clone());
        self.state.heartbeat = heartbeat;
    }

    /// What reloading on SIGHUP needs (`lifecycle`).
    pub fn reloader(&self) -> crate::reload::Reloader {
        crate::reload::Reloader {
            reload: self.state.reload.clone(),
            engine: self.state.engine.clone(),
            shutdown: self.state.shutdown.clone(),
        }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn spawn(self) -> Running {
        let (trigger, shutdown) = (self.trigger, self.state.shutdown.clone());
        let addr = self
            .listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let ready = self.state.ready.clone();
        let keeper = self
            .keeper
            .map(|k| k.run(self.state.engine.clone(), shutdown.clone()));
        let metrics = self.state.metrics.clone();
        let app = http::service(Shared::new(self.state));
        let mut stop = shutdown.clone();
        let server = tokio::spawn(http::serve::serve(
            self.listener,
            app,
            self.http,
            metrics,
            async move { stop.wait().await },
        ));
        let failed = Arc::new(AtomicBool::new(false));
        let (engine_failed, stop) = (failed.clone(), trigger.clone());
        let engine_task = self.engine;
        let engine = tokio::spawn(async move {
            if let Err(e) = engine_task.run().await {
                tracing::error!(error = %e, "stopping");
                engine_failed.store(true, Ordering::Release);
                stop.trigger();
            }
        });
        let mut tasks = vec![("http server", server), ("engine", engine)];
        if let Some(keeper) = keeper {
            tasks.push(("profile keeper", tokio::spawn(keeper)));
        }
        for outbox in self.outboxes {
            let name = match outbox.channel {
                Channel::Webhook => "webhook outbox",
                Channel::Twitter => "twitter outbox",
            };
            tasks.push((name, tokio::spawn(outbox.run(shutdown.clone()))));
        }
        ready.store(true, Ordering::Release);
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
        tracing::info!(%addr, "baton is listening");
        Running {
            addr,
            trigger,
            tasks,
            failed,
        }
    }
}

impl Running {
    pub fn trigger(&self) -> Trigger {
        self.trigger.clone()
    }

    /// Asks every task to stop and waits until they have (the store is closed after this).
    pub async fn stop(self) -> anyhow::Result<()> {
        self.trigger.trigger();
        self.wait().await
    }

    /// Waits for the daemon to stop; the HTTP server stops first, so the engine drains last.
    /// An error means it stopped because the store failed.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        self.settle().await
    }

    /// As `wait`, without giving the daemon up: past a deadline, `tasks` still says what is
    /// left.
    pub async fn settle(&mut self) -> anyhow::Result<()> {
        for (_, t) in &mut self.tasks {
            if !t.is_finished() {
                let _ = t.await;
            }
        }
        if self.failed.load(Ordering::Acquire) {
            anyhow::bail!("{}", crate::engine::Stopped);
        }
        Ok(())
    }
}

impl Running {
    /// Each task by name.
    pub(crate) fn tasks(&self) -> impl Iterator<Item = (&'static str, &JoinHandle<()>)> {
        self.tasks.iter().map(|(name, t)| (*name, t))
    }
}

fn twitter_in(config: &Config, sent: SentIds) -> Option<Arc<TwitterIn>> {
    let app = config.twitter.as_ref()?;
    let accounts = config
        .accounts
        .iter()
        .filter_map(|a| Some((a.twitter.as_ref()?.user_id.clone(), AccountId(a.id.clone()))))
        .collect();
    Some(Arc::new(TwitterIn {
        consumer_secret: app.consumer_secret.clone(),
        accounts,
        app_id: app.app_id.clone(),
        sent,
    }))
}

/// Used by `main`: stops on SIGINT or SIGTERM, within `[shutdown] grace` (`lifecycle`).
pub async fn run_until_signal(config: Config) -> anyhow::Result<()> {
    crate::lifecycle::run(config).await
}
