//! The `baton` command line: parse it, check what was typed, then run; returns an exit code.

mod admin;
mod backup;
mod export;
mod twitter;

use crate::admin_client::AdminClient;
use crate::config::{Config, LogFormat};
use crate::{app, telemetry};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "baton",
    version,
    about = "Bot-to-human handoff daemon for brand DMs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon.
    Run {
        #[arg(long, short, default_value = "baton.toml")]
        config: PathBuf,
        /// How log lines are written to stderr: `text` or `json` (one object per line);
        /// overrides `[log] format`.
        #[arg(long, value_name = "text|json")]
        log_format: Option<LogFormat>,
    },
    /// Validate the config and every account's rules; print each error as file:line:col.
    Check {
        #[arg(long, short, default_value = "baton.toml")]
        config: PathBuf,
    },
    /// Rebuild a data dir the daemon refused (damaged or behind its journal) from what is
    /// left, and say what could not be saved. Run it with the daemon stopped.
    Recover {
        #[arg(long, short, default_value = "baton.toml")]
        config: PathBuf,
    },
    /// Manage agents through the running daemon's admin API.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
        #[command(flatten)]
        conn: Connection,
    },
    /// Custom Profiles (the bots' and the agents') through the running daemon's admin API.
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
        #[command(flatten)]
        conn: Connection,
    },
    /// Take a backup of the running daemon's store (one point in time, taken without stopping
    /// it) into FILE, replaced atomically once the download is verified.
    Backup {
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        conn: Connection,
    },
    /// Write a backup into a new, empty data dir (refuses one that is not empty); start the
    /// daemon on that dir afterwards.
    Restore {
        #[arg(long)]
        from: PathBuf,
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Every message of the conversations active lately, as JSON lines (one per message:
    /// author, text, the profile it carried, delivery), from the running daemon.
    Export {
        /// How far back (a duration like 24h, or an RFC 3339 time): conversations active
        /// since then, and their messages from then on.
        #[arg(long)]
        since: String,
        /// Write to FILE (replaced once the whole export came) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        conn: Connection,
    },
    /// Set up the Twitter/X channel on the platform.
    Twitter {
        #[command(subcommand)]
        command: TwitterCommand,
    },
    /// Print the version.
    Version,
}

#[derive(Subcommand)]
enum TwitterCommand {
    /// Register the webhook URL with the Account Activity environment (unless it is) and
    /// subscribe every configured account (unless it is); talks to the platform directly.
    Setup {
        /// The daemon's public webhook URL, e.g. https://baton.example.com/v1/channels/twitter/webhook.
        #[arg(long)]
        url: String,
        #[arg(long, short, default_value = "baton.toml")]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Add an agent; prints its token once.
    Add {
        /// How the team knows the agent.
        #[arg(long)]
        name: String,
        /// What customers see (at most 48 characters), e.g. "Alissa, Acme Mobile".
        #[arg(long)]
        profile_name: String,
        /// Avatar image URL.
        #[arg(long)]
        avatar: String,
        /// Comma-separated skills, e.g. billing,retention.
        #[arg(long, value_delimiter = ',')]
        skills: Vec<String>,
        /// Most conversations at once.
        #[arg(long, default_value_t = 1)]
        capacity: u32,
    },
    /// List agents.
    List,
    /// Stop an agent: its token is refused and its sockets closed; what it held or was offered
    /// goes back in line. `enable` undoes it.
    Disable { id: String },
    /// Let a disabled agent connect again (with the token it had).
    Enable { id: String },
    /// Remove an agent for good: like disable, and its id is never used again.
    Remove { id: String },
    /// Give an agent a new token (printed once); the old one stops working at once.
    RotateToken { id: String },
    /// Change an agent; only the options given change. A new profile name or avatar signs the
    /// agent's messages from the next one on.
    Edit {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        profile_name: Option<String>,
        #[arg(long)]
        avatar: Option<String>,
        /// Comma-separated skills; replaces the agent's (an empty value clears them).
        #[arg(long, value_delimiter = ',')]
        skills: Option<Vec<String>>,
        #[arg(long)]
        capacity: Option<u32>,
    },
}

#[derive(Subcommand)]
enum ProfileCommand {
    /// List every Custom Profile.
    List,
    /// Reconcile the profiles kept on Twitter with the platform's list: adopt ours found
    /// there, report strays.
    Sync {
        /// Also delete strays: theirs unknown to Baton on the platform, and Baton's records of
        /// profiles the platform no longer has (made again).
        #[arg(long)]
        prune: bool,
    },
}

/// How to reach the daemon: from the config unless given.
#[derive(clap::Args)]
struct Connection {
    #[arg(long, short, default_value = "baton.toml", global = true)]
    config: PathBuf,
    /// Base URL of the daemon, e.g. http://127.0.0.1:8080 (default: the config's listen).
    #[arg(long, global = true)]
    url: Option<String>,
    /// Admin token (default: BATON_ADMIN_TOKEN, then the config's [admin] token).
    #[arg(long, global = true)]
    token: Option<String>,
    /// The account the command is for: sent as ?account= so a router in front of several
    /// daemons reaches the one that owns it; `agent add` adds the agent to it (may be left
    /// out when the config has only one account).
    #[arg(long, global = true)]
    account: Option<String>,
}

/// Parses the process's arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("baton {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Check { config } => check(&config),
        Command::Run { config, log_format } => run(&config, log_format),
        Command::Recover { config } => recover(&config),
        Command::Backup { to, conn } => {
            let account = conn.account.clone();
            let Some((url, token, _)) = endpoint(conn) else {
                return ExitCode::FAILURE;
            };
            block_on(async move { backup::backup(&url, &token, account.as_deref(), &to).await })
        }
        Command::Export { since, out, conn } => {
            // --account (the connection's): only that account's conversations.
            let account = conn.account.clone();
            let Some((url, token, _)) = endpoint(conn) else {
                return ExitCode::FAILURE;
            };
            let e = export::Export {
                since,
                account,
                out,
            };
            block_on(async move { export::run(&url, &token, e).await })
        }
        Command::Restore { from, data_dir } => report(backup::restore(&from, &data_dir)),
        Command::Twitter {
            command: TwitterCommand::Setup { url, config },
        } => twitter::run(&config, &url),
        Command::Agent { command, conn } => admin(conn, |client, account, config| async move {
            match command {
                AgentCommand::List => admin::agent_list(&client).await.map_err(|e| e.to_string()),
                AgentCommand::Disable { id } => admin::agent_status(&client, &id, "disable")
                    .await
                    .map_err(|e| e.to_string()),
                AgentCommand::Enable { id } => admin::agent_status(&client, &id, "enable")
                    .await
                    .map_err(|e| e.to_string()),
                AgentCommand::Remove { id } => admin::agent_remove(&client, &id)
                    .await
                    .map_err(|e| e.to_string()),
                AgentCommand::RotateToken { id } => admin::agent_rotate_token(&client, &id)
                    .await
                    .map_err(|e| e.to_string()),
                AgentCommand::Edit {
                    id,
                    name,
                    profile_name,
                    avatar,
                    skills,
                    capacity,
                } => {
                    if let Some(p) = &profile_name {
                        admin::check_profile_name(p)?;
                    }
                    let edit = admin::AgentEdit {
                        name,
                        profile_name,
                        avatar,
                        skills: skills.map(|s| s.into_iter().filter(|s| !s.is_empty()).collect()),
                        capacity,
                    };
                    admin::agent_edit(&client, &id, edit)
                        .await
                        .map_err(|e| e.to_string())
                }
                AgentCommand::Add {
                    name,
                    profile_name,
                    avatar,
                    skills,
                    capacity,
                } => {
                    admin::check_profile_name(&profile_name)?;
                    let account = match (account, config.as_ref().map(|c| &c.accounts[..])) {
                        (Some(a), _) => a,
                        (None, Some([only])) => only.id.clone(),
                        (None, _) => return Err("--account is required".into()),
                    };
                    let add = admin::AgentAdd {
                        account,
                        name,
                        profile_name,
                        avatar,
                        skills,
                        capacity,
                    };
                    admin::agent_add(&client, add)
                        .await
                        .map_err(|e| e.to_string())
                }
            }
        }),
        Command::Profile { command, conn } => admin(conn, |client, _, _| async move {
            match command {
                ProfileCommand::List => admin::profile_list(&client)
                    .await
                    .map_err(|e| e.to_string()),
                ProfileCommand::Sync { prune } => admin::profile_sync(&client, prune)
                    .await
                    .map_err(|e| e.to_string()),
            }
        }),
    }
}

/// Runs an admin command against the daemon the connection options point at.
fn admin<F, Fut>(conn: Connection, f: F) -> ExitCode
where
    F: FnOnce(AdminClient, Option<String>, Option<Config>) -> Fut,
    Fut: std::future::Future<Output = Result<String, String>>,
{
    let account = conn.account.clone();
    let Some((url, token, config)) = endpoint(conn) else {
        return ExitCode::FAILURE;
    };
    let client = AdminClient::new(url, token).for_account(account.clone());
    block_on(f(client, account, config))
}

/// The daemon's URL and admin token (and the config, if it loads); says why not on stderr.
fn endpoint(conn: Connection) -> Option<(String, String, Option<Config>)> {
    let config = Config::load(&conn.config).ok();
    let url = conn
        .url
        .or_else(|| config.as_ref().map(|c| format!("http://{}", c.listen)));
    let token = conn
        .token
        .or_else(|| std::env::var("BATON_ADMIN_TOKEN").ok())
        .or_else(|| config.as_ref().and_then(|c| c.admin_token.clone()));
    let (Some(url), Some(token)) = (url, token) else {
        eprintln!(
            "baton: cannot tell where the daemon is or what its admin token is: pass --url and \
             --token, or --config with listen and [admin] token"
        );
        return None;
    };
    Some((url, token, config))
}

/// Runs a command's future on a runtime of its own and reports its outcome.
fn block_on(f: impl std::future::Future<Output = Result<String, String>>) -> ExitCode {
    let Some(runtime) = command_runtime() else {
        return ExitCode::FAILURE;
    };
    report(runtime.block_on(f))
}

/// The config file, read and checked; when it is not, every error is printed (`file:line:col`).
fn load(path: &Path) -> Option<Config> {
    Config::load(path).map_err(|e| eprintln!("{e}")).ok()
}

/// A single-threaded runtime for a command; why not, printed, when it cannot start.
fn command_runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| eprintln!("baton: cannot start the runtime: {e}"))
        .ok()
}

/// Prints a command's outcome: the text on stdout, or the error on stderr.
fn report(outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(out) => {
            // Nothing to say adds no line (an export to stdout is JSON lines only).
            if !out.is_empty() {
                println!("{out}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("baton: {e}");
            ExitCode::FAILURE
        }
    }
}

fn recover(path: &Path) -> ExitCode {
    let Some(config) = load(path) else {
        return ExitCode::FAILURE;
    };
    match crate::store::recover(&config.data_dir, config.cache_bytes) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("baton: cannot recover {}: {e}", config.data_dir.display());
            ExitCode::FAILURE
        }
    }
}

fn check(path: &Path) -> ExitCode {
    let Some(config) = load(path) else {
        return ExitCode::FAILURE;
    };
    match app::load_accounts(&config) {
        Ok(accounts) => {
            for a in &accounts {
                let hours = a
                    .hours
                    .as_ref()
                    .map_or("always".to_owned(), |h| h.describe());
                println!(
                    "{}: {} rules, bot profile \"{}\", open {hours}",
                    a.id,
                    a.rules.rules().len(),
                    a.bot.name
                );
            }
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            ExitCode::FAILURE
        }
    }
}

fn run(path: &Path, log_format: Option<LogFormat>) -> ExitCode {
    let Some(config) = load(path) else {
        return ExitCode::FAILURE;
    };
    telemetry::init(log_format.unwrap_or(config.log.format));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(app::run_until_signal(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton: {e:#}");
            ExitCode::FAILURE
        }
    }
}
