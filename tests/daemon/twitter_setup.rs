//! `baton twitter setup`, run as the real binary against the fake v1.1 API: it registers the
//! webhook and subscribes the account once, changes nothing the second time, and exits non-zero
//! with the platform's code and message when a step is refused.

use crate::support::twitter::*;
use crate::support::*;
use std::path::Path;
use std::process::Command;

const URL: &str = "https://baton.example.com/v1/channels/twitter/webhook";

/// A config whose account `acme` is Twitter user 42, the API at `api_base`.
fn config(dir: &Path, api_base: &str) -> String {
    let extra = format!(
        "[channels.twitter]\napi_base = \"{api_base}\"\nupload_base = \"{api_base}\"\n\
         environment = \"dev\"\n\
         consumer_key = {{ env = \"TW_KEY\" }}\nconsumer_secret = {{ env = \"TW_SECRET\" }}\n\
         [accounts.acme.twitter]\nuser_id = \"42\"\n\
         access_token = {{ env = \"TW_TOKEN\" }}\naccess_secret = {{ env = \"TW_TOKEN_SECRET\" }}\n"
    );
    let path = dir.join("baton.toml");
    let text = config_text(&dir.join("data"), "http://127.0.0.1:9", &extra);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Runs `baton twitter setup` off the runtime, so the fake on this runtime can answer it.
async fn setup(config: &str, url: &str) -> (bool, String, String) {
    let (config, url) = (config.to_owned(), url.to_owned());
    let run = move || {
        Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["twitter", "setup", "--url", &url, "--config", &config])
            .env("TW_KEY", CONSUMER_KEY)
            .env("TW_SECRET", CONSUMER_SECRET)
            .env("TW_TOKEN", ACCESS_TOKEN)
            .env("TW_TOKEN_SECRET", ACCESS_SECRET)
            .output()
            .unwrap()
    };
    let out = tokio::task::spawn_blocking(run).await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test]
async fn setup_registers_and_subscribes_once_then_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeTwitter::start().await;
    let cfg = config(dir.path(), &fake.base);

    let (ok, out, err) = setup(&cfg, URL).await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("registered webhook {URL} (id 8")),
        "{out}"
    );
    assert!(out.contains("subscribed acme (user 42)"), "{out}");
    assert_eq!(fake.webhook_urls(), [URL]);
    assert!(fake.subscribed());
    let first = fake.calls();
    let paths: Vec<(&str, &str)> = first
        .iter()
        .map(|c| (c.method.as_str(), c.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("GET", "/1.1/account_activity/all/dev/webhooks.json"),
            ("POST", "/1.1/account_activity/all/dev/webhooks.json"),
            ("GET", "/1.1/account_activity/all/dev/subscriptions.json"),
            ("POST", "/1.1/account_activity/all/dev/subscriptions.json"),
        ]
    );
    assert!(first.iter().all(|c| c.signed), "{first:?}");
    assert_eq!(first[1].query, [("url".to_owned(), URL.to_owned())]);
    assert!(
        !out.contains(ACCESS_TOKEN) && !err.contains(ACCESS_TOKEN),
        "{out}{err}"
    );

    let (ok, out, err) = setup(&cfg, URL).await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("webhook {URL} already registered (id 8")),
        "{out}"
    );
    assert!(out.contains("acme (user 42) already subscribed"), "{out}");
    assert!(out.contains("nothing to do"), "{out}");
    let again = &fake.calls()[first.len()..];
    assert!(again.iter().all(|c| c.method == "GET"), "{again:?}");
    assert_eq!(fake.webhook_urls(), [URL]);
}

#[tokio::test]
async fn a_refused_subscription_exits_non_zero_with_the_platforms_words() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeTwitter::start().await;
    let cfg = config(dir.path(), &fake.base);
    let message =
        "Client application is not permitted to access this user's webhook subscriptions.";
    fake.push_on(
        "POST",
        "/subscriptions.json",
        Answer::error(403, 348, message),
    );

    let (ok, out, err) = setup(&cfg, URL).await;
    assert!(!ok, "{out}{err}");
    assert!(out.contains("registered webhook"), "{out}");
    assert!(err.contains("subscribing acme (user 42)"), "{err}");
    assert!(err.contains("code 348") && err.contains(message), "{err}");
    assert!(!fake.subscribed());
}

#[tokio::test]
async fn only_https_urls_are_registered_with_the_real_platform() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing is called: the URL is refused before any request.
    let cfg = config(dir.path(), "https://api.twitter.invalid");
    let plain = "http://baton.example.com/v1/channels/twitter/webhook";
    let (ok, out, err) = setup(&cfg, plain).await;
    assert!(!ok, "{out}{err}");
    assert!(err.contains("https"), "{err}");

    // A local fake API (http://) may be given an http URL.
    let fake = FakeTwitter::start().await;
    let cfg = config(dir.path(), &fake.base);
    let (ok, out, err) = setup(&cfg, plain).await;
    assert!(ok, "{out}{err}");
    assert_eq!(fake.webhook_urls(), [plain]);
}
