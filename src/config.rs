//! `baton.toml`: parsed by a pure function so tests never touch the process environment.
//!
//! Relative paths are resolved against the config file's directory. Secrets can come from the
//! environment instead of the file: `BATON_ADMIN_TOKEN`, `BATON_WEBHOOK_SECRET`; `BATON_LISTEN`
//! and `BATON_DATA_DIR` override the address and the data directory.

mod account;
mod error;
mod http;
mod log;
mod outbound;
mod twitter;

pub use account::{AccountConfig, RulesDirAt};
pub use http::HttpConfig;
pub use log::{LogConfig, LogFormat};
pub use outbound::OutboundConfig;
pub use twitter::{TwitterAccount, TwitterConfig};

use account::RawAccount;
pub(crate) use error::Found;
pub use error::{line_col, ConfigError, ConfigErrors};
use http::RawHttp;
use log::RawLog;
use outbound::RawOutbound;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;
use twitter::{RawTwitter, Sources};

#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from: what a reload reads again.
    pub file: PathBuf,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub cache_bytes: u64,
    /// How long event ids are remembered: a redelivery within it is answered `duplicate`.
    pub event_retention: Duration,
    /// Bearer token for the admin API; without one the admin API answers 401 to everyone.
    pub admin_token: Option<String>,
    pub accounts: Vec<AccountConfig>,
    pub webhook: WebhookConfig,
    /// The Twitter/X app, when `[channels.twitter]` is configured.
    pub twitter: Option<TwitterConfig>,
    /// How long a new agent socket has to authenticate.
    pub agent_auth_timeout: Duration,
    pub console: ConsoleConfig,
    /// `[shutdown] grace`: how long a SIGTERM may take before the daemon exits anyway.
    pub shutdown_grace: Duration,
    /// `[http]`: request timeouts and connection caps.
    pub http: HttpConfig,
    /// `[log]`: how log lines are written.
    pub log: LogConfig,
    /// `[outbound]`: retries of a failing receiver.
    pub outbound: OutboundConfig,
    /// `[metrics] enabled`: serve `GET /metrics` and count (on unless turned off).
    pub metrics: bool,
}

/// `[console]`: the web pages the daemon serves under `/console/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// Serve `/console/try`, where anyone who can reach the port plays a customer through the
    /// generic webhook; off unless asked for, as it lets strangers write to the bot.
    pub try_page: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Shared secret for `x-baton-signature`; when set, unsigned requests are refused.
    pub secret: Option<String>,
    pub sink: SinkConfig,
    /// Whether the receiver shows each message's Custom Profile (`profiles`, default true); when
    /// it cannot, every message carries its attribution in its text instead.
    pub profiles: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkConfig {
    /// Append one JSON line per message to a file, or to stdout when `path` is None.
    Jsonl { path: Option<PathBuf> },
    /// POST each message as JSON to a URL.
    Http { url: String, timeout: Duration },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    listen: Option<Spanned<String>>,
    data_dir: Option<String>,
    rules_dir: Option<Spanned<String>>,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    admin: RawAdmin,
    #[serde(default)]
    accounts: BTreeMap<String, Spanned<RawAccount>>,
    #[serde(default)]
    channels: RawChannels,
    #[serde(default)]
    agents: RawAgents,
    #[serde(default)]
    console: RawConsole,
    #[serde(default)]
    shutdown: RawShutdown,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    outbound: RawOutbound,
    #[serde(default)]
    metrics: RawMetrics,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    enabled: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawShutdown {
    #[serde(default, with = "humantime_serde")]
    grace: Option<Duration>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConsole {
    #[serde(default)]
    try_page: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAgents {
    #[serde(default, with = "humantime_serde")]
    auth_timeout: Option<Duration>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStore {
    cache_capacity_mb: Option<Spanned<u64>>,
    #[serde(default, with = "humantime_serde")]
    event_retention: Option<Duration>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAdmin {
    token: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawChannels {
    #[serde(default)]
    webhook: RawWebhook,
    twitter: Option<RawTwitter>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    secret: Option<String>,
    profiles: Option<bool>,
    outbound: Option<Spanned<RawSink>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, tag = "sink", rename_all = "lowercase")]
enum RawSink {
    Jsonl {
        path: Option<String>,
    },
    Http {
        url: String,
        #[serde(default, with = "humantime_serde")]
        timeout: Option<Duration>,
    },
}

impl Config {
    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            file: path.to_owned(),
            message: e.to_string(),
        })?;
        Config::parse(&text, path, |var| std::env::var(var).ok())
    }

    /// Parses config text; `env` looks up overrides so callers decide what the environment is.
    /// Credentials named as `{ file = … }` are read from disk.
    pub fn parse(
        text: &str,
        file: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigErrors> {
        let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
        Config::parse_with(text, file, env, read)
    }

    /// As `parse`, with `read` standing for the file system (for credentials in files).
    pub fn parse_with(
        text: &str,
        file: &Path,
        env: impl Fn(&str) -> Option<String>,
        read: impl Fn(&Path) -> Result<String, String>,
    ) -> Result<Config, ConfigErrors> {
        let at = |span: Option<Range<usize>>, message: String| {
            let (line, col) = span.map_or((1, 1), |s| line_col(text, s.start));
            ConfigError::At {
                file: file.to_owned(),
                line,
                col,
                message,
            }
        };
        // A file that is not TOML, or holds a key nobody reads, has no shape to check further.
        let raw: Raw = toml::from_str(text).map_err(|e| at(e.span(), e.message().to_owned()))?;
        let found = Found::default();
        let base = file.parent().unwrap_or(Path::new("."));
        let resolve = |p: &str| base.join(p);

        let listen = match (env("BATON_LISTEN"), &raw.listen) {
            (Some(v), _) => found.keep(v.parse().map_err(|_| ConfigError::Env {
                var: "BATON_LISTEN",
                message: format!("'{v}' is not an address like 127.0.0.1:8080"),
            })),
            (None, Some(l)) => found.keep(l.get_ref().parse().map_err(|_| {
                at(
                    Some(l.span()),
                    format!(
                        "listen: '{}' is not an address like 127.0.0.1:8080",
                        l.get_ref()
                    ),
                )
            })),
            (None, None) => Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
        };
        let data_dir = match env("BATON_DATA_DIR") {
            Some(d) => PathBuf::from(d),
            None => resolve(raw.data_dir.as_deref().unwrap_or("data")),
        };
        let cache_mb = match &raw.store.cache_capacity_mb {
            Some(c) if *c.get_ref() == 0 => {
                found.push(at(
                    Some(c.span()),
                    "cache_capacity_mb must be at least 1".into(),
                ));
                1
            }
            Some(c) => *c.get_ref(),
            None => 64,
        };
        let sources = Sources {
            env: &env,
            read: &read,
            base,
        };
        let twitter = raw
            .channels
            .twitter
            .as_ref()
            .and_then(|t| found.keep(t.check(&sources, &at)));
        let mut accounts: Vec<AccountConfig> = Vec::new();
        for (id, acc) in &raw.accounts {
            if !valid_account_id(id) {
                found.push(at(
                    Some(acc.span()),
                    format!("account id '{id}' must be 1-64 of a-z, 0-9, '-' or '_'"),
                ));
                continue;
            }
            let table = acc.span();
            let acc = acc.get_ref();
            // Where the directory was named, so a bad one is pointed at in this file: the
            // account's own `rules_dir`, else the top-level one, else the account's table.
            let (dir, span) = match (acc.rules_dir(), &raw.rules_dir) {
                (Some(own), _) => (own.get_ref().as_str(), own.span()),
                (None, Some(top)) => (top.get_ref().as_str(), top.span()),
                (None, None) => ("rules", table),
            };
            let (line, col) = line_col(text, span.start);
            let rules_at = RulesDirAt {
                file: file.to_owned(),
                line,
                col,
            };
            let checked = acc.check(id, (resolve(dir), rules_at), &sources, &at, &found);
            let Some(checked) = checked else { continue };
            if let Some(t) = &checked.twitter {
                if twitter.is_none() && raw.channels.twitter.is_none() {
                    let message = format!(
                        "account '{id}' has a twitter table but [channels.twitter] is missing \
                         (the app's consumer key and secret)"
                    );
                    found.push(at(acc.twitter_span(), message));
                }
                let twin = accounts
                    .iter()
                    .find(|a| a.twitter.as_ref().is_some_and(|o| o.user_id == t.user_id));
                if let Some(twin) = twin {
                    let message = format!(
                        "twitter.user_id {} is already account '{}'",
                        t.user_id, twin.id
                    );
                    found.push(at(acc.twitter_span(), message));
                }
            }
            accounts.push(checked);
        }
        if raw.accounts.is_empty() {
            let span = text.find("[accounts").map(|s| s..s + 1);
            found.push(at(
                span,
                "at least one account is required: add [accounts.<id>]".into(),
            ));
        }
        let sink = match raw.channels.webhook.outbound {
            None => Some(SinkConfig::Jsonl { path: None }),
            Some(s) => {
                let span = s.span();
                match s.into_inner() {
                    RawSink::Jsonl { path } => Some(SinkConfig::Jsonl {
                        path: path.filter(|p| p != "-").map(|p| resolve(&p)),
                    }),
                    RawSink::Http { url, timeout } => {
                        if url.starts_with("https://") || url.starts_with("http://") {
                            Some(SinkConfig::Http {
                                url,
                                timeout: timeout.unwrap_or(Duration::from_secs(5)),
                            })
                        } else {
                            found.push(at(
                                Some(span),
                                format!("outbound url '{url}' must be an http(s) URL"),
                            ));
                            None
                        }
                    }
                }
            }
        };
        let http = raw.http.check(&at, &found);
        let log = found.keep(raw.log.check(&at)).unwrap_or_default();
        let outbound = found.keep(raw.outbound.check(&at)).unwrap_or_default();
        let (Some(listen), Some(sink)) = (listen, sink) else {
            return Err(found.into_errors().unwrap_or_else(|| {
                // Unreachable in practice: each None above recorded why.
                ConfigErrors(vec![at(None, "invalid config".into())])
            }));
        };
        if let Some(errors) = found.into_errors() {
            return Err(errors);
        }
        Ok(Config {
            file: file.to_owned(),
            listen,
            http,
            log,
            outbound,
            data_dir,
            cache_bytes: cache_mb * 1024 * 1024,
            event_retention: raw
                .store
                .event_retention
                .unwrap_or(Duration::from_secs(7 * 86_400)),
            admin_token: env("BATON_ADMIN_TOKEN")
                .or(raw.admin.token)
                .filter(|t| !t.is_empty()),
            accounts,
            agent_auth_timeout: raw.agents.auth_timeout.unwrap_or(Duration::from_secs(5)),
            console: ConsoleConfig {
                try_page: raw.console.try_page,
            },
            webhook: WebhookConfig {
                secret: env("BATON_WEBHOOK_SECRET")
                    .or(raw.channels.webhook.secret)
                    .filter(|s| !s.is_empty()),
                sink,
                profiles: raw.channels.webhook.profiles.unwrap_or(true),
            },
            twitter,
            metrics: raw.metrics.enabled.unwrap_or(true),
            shutdown_grace: raw.shutdown.grace.unwrap_or(Duration::from_secs(10)),
        })
    }
}

fn valid_account_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests;
