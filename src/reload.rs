//! Reload without a restart: the config file the daemon started with is read again, every
//! account's rules, `[waiting]` texts, timeouts and hours are compiled off the runtime threads,
//! and the engine swaps the whole set in one turn of its loop. Triggered by SIGHUP
//! (`lifecycle`), `systemctl reload` (which signals) and `POST /v1/admin/reload`.
//!
//! On any error the old set stays, and every error is logged (one warn line each), answered
//! and kept for `/readyz`. What the running daemon was built around (its port, its store, its
//! channels and accounts, its secrets) cannot change under it: a config that changes those is
//! refused, naming each key, so nobody believes a change was applied when it was not.

use crate::agents::session::CannedReplies;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::{self, AccountId, Profile, Timestamp};
use crate::engine::EngineHandle;
use crate::metrics::{Metrics, ReloadResult};
use crate::rules::{self, RuleBook, RulesError, RulesErrors};
use foldhash::{HashMap, HashMapExt};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How one reload ended: what `baton_reloads_total{result}` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// The new set is in force.
    Applied,
    /// The config or rules had errors; the old set stays.
    Failed,
    /// The config changed something only a restart can; the old set stays.
    Refused,
}

impl ReloadOutcome {
    /// The metric's `result` label.
    pub fn label(self) -> &'static str {
        match self {
            ReloadOutcome::Applied => "ok",
            ReloadOutcome::Failed => "failed",
            ReloadOutcome::Refused => "refused",
        }
    }
}

/// The last reload, as `/readyz` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastReload {
    pub outcome: ReloadOutcome,
    /// Each as `file:line:col: message` (or naming the key that needs a restart).
    pub errors: Vec<String>,
    pub at: Timestamp,
}

/// A reload that took: how many rules are in force now and how long it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reloaded {
    pub rules: usize,
    pub took: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReloadError {
    /// The config or the rules do not load; every problem, each `file:line:col: message`.
    #[error("the new config does not load: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// Keys whose change needs a restart.
    #[error("{}", .0.join("; "))]
    NeedsRestart(Vec<String>),
    /// The engine stopped (the daemon is stopping).
    #[error("the engine is not running")]
    Unavailable,
}

impl ReloadError {
    pub fn outcome(&self) -> ReloadOutcome {
        match self {
            ReloadError::NeedsRestart(_) => ReloadOutcome::Refused,
            ReloadError::Invalid(_) | ReloadError::Unavailable => ReloadOutcome::Failed,
        }
    }

    /// Every problem, one line each.
    pub fn errors(&self) -> Vec<String> {
        match self {
            ReloadError::Invalid(e) | ReloadError::NeedsRestart(e) => e.clone(),
            ReloadError::Unavailable => vec![self.to_string()],
        }
    }
}

/// What a reload needs, shared by every handler (in `Shared`) and the SIGHUP task: the config
/// the daemon started with, and what became of the last reload. Cheap to clone.
#[derive(Clone)]
pub struct Reload {
    started: Arc<Config>,
    last: Arc<Mutex<Option<LastReload>>>,
    metrics: Metrics,
    /// The canned replies agents are welcomed with: replaced once a new set is in force.
    canned: Arc<CannedReplies>,
    /// One reload at a time: two at once would race to the engine, the older set last.
    gate: Arc<tokio::sync::Mutex<()>>,
    clock: Clock,
}

impl Reload {
    pub fn new(
        started: Config,
        clock: Clock,
        metrics: Metrics,
        canned: Arc<CannedReplies>,
    ) -> Reload {
        Reload {
            started: Arc::new(started),
            last: Arc::default(),
            metrics,
            canned,
            gate: Arc::default(),
            clock,
        }
    }

    /// The last reload, if there was one since start.
    pub fn last(&self) -> Option<LastReload> {
        self.last.lock().map_or(None, |l| l.clone())
    }

    /// Reads the config file again, compiles it on the blocking pool and has the engine swap
    /// it in; on any error the old set stays. Logs and records the outcome either way.
    pub async fn run(&self, engine: &EngineHandle) -> Result<Reloaded, ReloadError> {
        let _one = self.gate.lock().await;
        let began = Instant::now();
        let started = self.started.clone();
        let result = match tokio::task::spawn_blocking(move || prepare(&started)).await {
            Ok(Ok((accounts, rules))) => match engine.reload(accounts.clone()).await {
                Ok(()) => {
                    // Agents welcomed from now on get the new canned replies.
                    self.canned.set(&accounts);
                    Ok(Reloaded {
                        rules,
                        took: began.elapsed(),
                    })
                }
                Err(_) => Err(ReloadError::Unavailable),
            },
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ReloadError::Unavailable),
        };
        self.record(&result);
        result
    }

    fn record(&self, result: &Result<Reloaded, ReloadError>) {
        let (outcome, errors) = match result {
            Ok(done) => {
                tracing::info!(
                    rules = done.rules,
                    took_ms = done.took.as_millis() as u64,
                    "reloaded"
                );
                (ReloadOutcome::Applied, Vec::new())
            }
            Err(e) => {
                let errors = e.errors();
                for line in &errors {
                    tracing::warn!("reload: {line}");
                }
                tracing::warn!("reload refused; the rules in force are unchanged");
                (e.outcome(), errors)
            }
        };
        self.metrics.reload(match outcome {
            ReloadOutcome::Applied => ReloadResult::Ok,
            ReloadOutcome::Failed => ReloadResult::Failed,
            ReloadOutcome::Refused => ReloadResult::Refused,
        });
        if let Ok(mut last) = self.last.lock() {
            *last = Some(LastReload {
                outcome,
                errors,
                at: self.clock.now(),
            });
        }
    }
}

/// Reloading from outside a request (SIGHUP): the reload, the engine, and when to let go of
/// the engine (a task holding its handle past shutdown would keep it from draining).
pub struct Reloader {
    pub reload: Reload,
    pub engine: EngineHandle,
    pub shutdown: crate::shutdown::Shutdown,
}

/// The blocking half: read and check the config, refuse what needs a restart, compile every
/// account. Returns the accounts and how many rules they hold.
fn prepare(started: &Config) -> Result<(Vec<domain::Account>, usize), ReloadError> {
    let text = |e: &dyn std::fmt::Display| e.to_string().lines().map(str::to_owned).collect();
    let config = Config::load(&started.file).map_err(|e| ReloadError::Invalid(text(&e)))?;
    let changed = needs_restart(started, &config);
    if !changed.is_empty() {
        return Err(ReloadError::NeedsRestart(changed));
    }
    let accounts = load_accounts(&config).map_err(|e| ReloadError::Invalid(text(&e)))?;
    let rules = rule_count(&accounts);
    Ok((accounts, rules))
}

/// Rules in force across accounts (a rule book shared by two accounts counts once).
pub fn rule_count(accounts: &[domain::Account]) -> usize {
    let mut seen: Vec<*const RuleBook> = Vec::new();
    let mut n = 0;
    for a in accounts {
        let book = Arc::as_ptr(&a.rules);
        if !seen.contains(&book) {
            seen.push(book);
            n += a.rules.rules().len();
        }
    }
    n
}

/// Each key `new` changes that the running daemon was built around, as "`key` … needs a
/// restart". Empty when the change can be applied live.
pub fn needs_restart(old: &Config, new: &Config) -> Vec<String> {
    // Every field named, so a new one is a compile error here until it is compared below
    // (or reloaded, like the accounts' rules).
    let Config {
        file: _,
        listen: _,
        data_dir: _,
        cache_bytes: _,
        event_retention: _,
        admin_token: _,
        accounts: _,
        webhook: _,
        twitter: _,
        agent_auth_timeout: _,
        console: _,
        shutdown_grace: _,
        http: _,
        log: _,
        outbound: _,
        metrics: _,
    } = new;
    let mut out = Vec::new();
    let mut differ = |key: &str, same: bool| {
        if !same {
            out.push(format!(
                "{}: {key} changed; that needs a restart (the rules in force are unchanged)",
                old.file.display()
            ));
        }
    };
    differ("listen", old.listen == new.listen);
    differ("data_dir", old.data_dir == new.data_dir);
    differ(
        "store.cache_capacity_mb",
        old.cache_bytes == new.cache_bytes,
    );
    differ(
        "store.event_retention",
        old.event_retention == new.event_retention,
    );
    differ("admin.token", old.admin_token == new.admin_token);
    differ("[channels.webhook]", old.webhook == new.webhook);
    differ("[channels.twitter]", old.twitter == new.twitter);
    differ(
        "agents.auth_timeout",
        old.agent_auth_timeout == new.agent_auth_timeout,
    );
    differ("console.try_page", old.console == new.console);
    differ("shutdown.grace", old.shutdown_grace == new.shutdown_grace);
    differ("[http]", old.http == new.http);
    differ("[log]", old.log == new.log);
    differ("[outbound]", old.outbound == new.outbound);
    differ("metrics.enabled", old.metrics == new.metrics);
    let ids = |c: &Config| c.accounts.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    differ("the set of [accounts]", ids(old) == ids(new));
    for (o, n) in old.accounts.iter().zip(&new.accounts) {
        if o.id == n.id {
            differ(&format!("accounts.{}.name", o.id), o.name == n.name);
            differ(
                &format!("accounts.{}.twitter", o.id),
                o.twitter == n.twitter,
            );
        }
    }
    out
}

/// Loads every account's rules (a directory shared by accounts is compiled once); also what
/// `baton check` and start-up run. Every error of every directory is returned at once; a
/// directory that is missing or holds no rules is reported where the config names it.
pub fn load_accounts(config: &Config) -> Result<Vec<domain::Account>, RulesErrors> {
    let mut books: HashMap<PathBuf, Option<Arc<RuleBook>>> = HashMap::new();
    let mut errors = Vec::new();
    let mut accounts = Vec::new();
    for acc in &config.accounts {
        let book = match books.get(&acc.rules_dir) {
            Some(b) => b.clone(),
            None => {
                let b = match rules::load_dir(&acc.rules_dir) {
                    Ok(b) => Some(Arc::new(b)),
                    Err(RulesErrors(found)) => {
                        errors.extend(found.into_iter().map(|e| pointed(acc, e)));
                        None
                    }
                };
                books.insert(acc.rules_dir.clone(), b.clone());
                b
            }
        };
        let Some(book) = book else { continue };
        let spec = &book.bot.profile;
        let bot = Profile {
            id: spec.id.clone().unwrap_or_else(|| format!("{}-bot", acc.id)),
            name: spec.name.clone(),
            avatar: spec.avatar.clone(),
        };
        accounts.push(domain::Account {
            id: AccountId(acc.id.clone()),
            name: acc.name.clone(),
            bot,
            timeouts: book.timeouts.with(&acc.timeouts),
            hours: acc.hours.clone(),
            rules: book,
        });
    }
    if errors.is_empty() {
        Ok(accounts)
    } else {
        Err(RulesErrors(errors))
    }
}

/// An error about the rules directory itself (it has no line of its own) points at the line of
/// the config that named it.
fn pointed(acc: &crate::config::AccountConfig, e: RulesError) -> RulesError {
    if e.line != 0 || e.file != acc.rules_dir {
        return e;
    }
    let at = &acc.rules_dir_at;
    RulesError {
        file: at.file.clone(),
        line: at.line,
        col: at.col,
        message: format!("rules_dir '{}': {}", acc.rules_dir.display(), e.message),
    }
}

#[cfg(test)]
mod tests;
