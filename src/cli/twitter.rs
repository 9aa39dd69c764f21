//! `baton twitter setup`: registers the daemon's webhook URL with the configured Account
//! Activity environment and subscribes every configured account to it, talking to the platform
//! directly (no daemon needed). Idempotent: what is already in place is only reported.

use crate::channels::twitter::api::{ApiError, Client};
use crate::channels::twitter::WEBHOOK_PATH;
use crate::config::{Config, TwitterAccount, TwitterConfig};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Registering makes the platform send its CRC challenge to the URL first: allow for that.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why setup stopped or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    Config(String),
    #[error("--url '{url}': {why}")]
    Url { url: String, why: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The platform refused a step; its code and message are in `source`.
    #[error("{step}: {source}")]
    Refused { step: String, source: ApiError },
    /// Some accounts could not be subscribed (each refusal was printed as it happened).
    #[error("{0} account(s) not subscribed")]
    Unsubscribed(usize),
}

/// What one step printed: progress on stdout, a refusal on stderr.
pub enum Said {
    Done(String),
    Refused(String),
}

/// Runs setup from a config file, printing each step; what `main` calls.
pub fn run(config: &Path, url: &str) -> ExitCode {
    let Some(config) = super::load(config) else {
        return ExitCode::FAILURE;
    };
    let Some(runtime) = super::command_runtime() else {
        return ExitCode::FAILURE;
    };
    let mut say = |s: Said| match s {
        Said::Done(line) => println!("{line}"),
        Said::Refused(line) => eprintln!("baton: {line}"),
    };
    match runtime.block_on(setup(&config, url, &mut say)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baton: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Registers `url` unless it is registered, then subscribes each account that is not.
pub async fn setup(
    config: &Config,
    url: &str,
    say: &mut dyn FnMut(Said),
) -> Result<(), SetupError> {
    let app = config.twitter.as_ref().ok_or_else(|| {
        SetupError::Config("the config has no [channels.twitter]: nothing to set up".into())
    })?;
    check_url(app, url)?;
    let accounts: Vec<(&str, &TwitterAccount)> = config
        .accounts
        .iter()
        .filter_map(|a| Some((a.id.as_str(), a.twitter.as_ref()?)))
        .collect();
    let Some((_, first)) = accounts.first() else {
        return Err(SetupError::Config(
            "no account has [accounts.<id>.twitter] credentials to act with".into(),
        ));
    };
    if !url.ends_with(WEBHOOK_PATH) {
        say(Said::Done(format!(
            "note: Baton answers at {WEBHOOK_PATH}; '{url}' works only behind a proxy that \
             forwards it there"
        )));
    }
    // The environment's webhook is the app's: any account's user context may manage it.
    let mut changed = webhook(&client(app, first)?, &app.environment, url, say).await?;
    let mut refused = 0;
    for (id, account) in &accounts {
        let who = format!("{id} (user {})", account.user_id);
        match subscribe(&client(app, account)?, &who).await {
            Ok(Some(line)) => {
                changed = true;
                say(Said::Done(line));
            }
            Ok(None) => say(Said::Done(format!("{who} already subscribed"))),
            Err(e) => {
                refused += 1;
                say(Said::Refused(e.to_string()));
            }
        }
    }
    if refused > 0 {
        return Err(SetupError::Unsubscribed(refused));
    }
    say(Said::Done(
        if changed {
            "done"
        } else {
            "nothing to do: the webhook and every subscription were already in place"
        }
        .into(),
    ));
    Ok(())
}

/// The platform calls only https webhooks; a local fake API (`http://` api_base) may take http.
fn check_url(app: &TwitterConfig, url: &str) -> Result<(), SetupError> {
    let refuse = |why: String| SetupError::Url {
        url: url.to_owned(),
        why,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| refuse(e.to_string()))?;
    let local = app.api_base.starts_with("http://");
    match parsed.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => {
            return Err(refuse(
                "the platform only calls https:// webhooks; give the daemon's public https URL"
                    .into(),
            ))
        }
        other => return Err(refuse(format!("'{other}' is not https"))),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(refuse("it has no host".into()));
    }
    Ok(())
}

fn client(app: &TwitterConfig, account: &TwitterAccount) -> Result<Client, SetupError> {
    Client::new(app, account, TIMEOUT).map_err(|e| SetupError::Client(e.without_url().to_string()))
}

/// Registers `url` unless it is there already; whether it changed anything.
async fn webhook(
    client: &Client,
    environment: &str,
    url: &str,
    say: &mut dyn FnMut(Said),
) -> Result<bool, SetupError> {
    let listed = client
        .webhooks()
        .await
        .map_err(|source| SetupError::Refused {
            step: format!("listing the webhooks of environment '{environment}'"),
            source,
        })?;
    if let Some(w) = listed.iter().find(|w| w.url == url) {
        let mut line = format!("webhook {url} already registered (id {})", w.id);
        if !w.valid {
            line.push_str(
                "; the platform marks it invalid: it failed a CRC check, so the daemon must \
                 be reachable there",
            );
        }
        say(Said::Done(line));
        return Ok(false);
    }
    let others: Vec<&str> = listed.iter().map(|w| w.url.as_str()).collect();
    let step = if others.is_empty() {
        format!("registering webhook {url} in environment '{environment}'")
    } else {
        format!(
            "registering webhook {url} in environment '{environment}' (already registered \
             there: {})",
            others.join(", ")
        )
    };
    let made = client
        .register_webhook(url)
        .await
        .map_err(|source| SetupError::Refused { step, source })?;
    say(Said::Done(format!(
        "registered webhook {url} (id {}) in environment '{environment}'",
        made.id
    )));
    Ok(true)
}

/// Subscribes the account unless it is; the line to print when it did.
async fn subscribe(client: &Client, who: &str) -> Result<Option<String>, SetupError> {
    let refused = |step: &str| {
        let step = format!("{step} {who}");
        move |source| SetupError::Refused { step, source }
    };
    if client
        .subscribed()
        .await
        .map_err(refused("checking the subscription of"))?
    {
        return Ok(None);
    }
    client.subscribe().await.map_err(refused("subscribing"))?;
    Ok(Some(format!("subscribed {who}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(api_base: &str) -> TwitterConfig {
        TwitterConfig {
            api_base: api_base.into(),
            upload_base: api_base.into(),
            environment: "prod".into(),
            consumer_key: "k".into(),
            consumer_secret: "s".into(),
            app_id: None,
        }
    }

    #[test]
    fn only_https_urls_unless_the_api_is_a_local_fake() {
        let real = app("https://api.twitter.com");
        let fake = app("http://127.0.0.1:9");
        let url = "https://baton.example.com/v1/channels/twitter/webhook";
        let plain = "http://baton.example.com/v1/channels/twitter/webhook";
        let cases = [
            (&real, url, true),
            (&real, plain, false),
            (&fake, plain, true),
            (&fake, url, true),
            (&real, "ftp://baton.example.com/x", false),
            (&fake, "ftp://baton.example.com/x", false),
            (
                &real,
                "baton.example.com/v1/channels/twitter/webhook",
                false,
            ),
            (&real, "https://", false),
        ];
        for (app, url, ok) in cases {
            assert_eq!(
                check_url(app, url).is_ok(),
                ok,
                "{url} with {}",
                app.api_base
            );
        }
        let why = check_url(&real, plain).unwrap_err().to_string();
        assert!(why.contains("https"), "{why}");
    }
}
