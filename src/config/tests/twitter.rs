//! `[channels.twitter]` and `[accounts.<id>.twitter]`: credentials from the environment or
//! files, never the file itself, and every mistake pointed at.

use super::super::*;

fn parse(text: &str) -> Result<Config, String> {
    let env = |var: &str| match var {
        "CK" => Some("consumer-key".to_owned()),
        "CS" => Some("consumer-secret".to_owned()),
        "AT" => Some("access-token".to_owned()),
        "EMPTY" => Some(" ".to_owned()),
        _ => None,
    };
    let read = |p: &Path| match p.to_str() {
        Some("/etc/baton/secrets/acme") => Ok("access-secret\n".to_owned()),
        Some("/etc/baton/secrets/two-lines") => Ok("a\nb\n".to_owned()),
        _ => Err("No such file or directory".to_owned()),
    };
    Config::parse_with(text, Path::new("/etc/baton/baton.toml"), env, read)
        .map_err(|e| e.to_string())
}

const APP: &str = r#"
[channels.twitter]
api_base = "http://127.0.0.1:9/"
consumer_key = { env = "CK" }
consumer_secret = { env = "CS" }
"#;

fn account(id: &str, user: &str, secret: &str) -> String {
    format!(
        "[accounts.{id}]\nname = \"{id}\"\n[accounts.{id}.twitter]\nuser_id = \"{user}\"\n\
         access_token = {{ env = \"AT\" }}\naccess_secret = {secret}\n"
    )
}

#[test]
fn credentials_come_from_the_environment_and_files() {
    let c = parse(&format!(
        "{APP}{}",
        account("acme", "42", r#"{ file = "secrets/acme" }"#)
    ))
    .unwrap();
    let app = c.twitter.unwrap();
    assert_eq!(app.api_base, "http://127.0.0.1:9");
    assert_eq!(app.upload_base, "https://upload.twitter.com");
    assert_eq!(app.environment, "prod");
    assert_eq!(
        (app.consumer_key.as_str(), app.consumer_secret.as_str()),
        ("consumer-key", "consumer-secret")
    );
    let t = c.accounts[0].twitter.clone().unwrap();
    assert_eq!(t.user_id, "42");
    assert_eq!(t.access_token, "access-token");
    assert_eq!(t.access_secret, "access-secret");
    // Secrets never reach a log through Debug.
    let shown = format!("{app:?} {t:?}");
    assert!(
        !shown.contains("secret-") && !shown.contains("consumer-key"),
        "{shown}"
    );
    assert!(!shown.contains("access-"), "{shown}");
}

#[test]
fn without_twitter_nothing_is_required() {
    let c = parse("[accounts.acme]\nname = \"Acme\"\n").unwrap();
    assert!(c.twitter.is_none() && c.accounts[0].twitter.is_none());
}

#[test]
fn mistakes_are_pointed_at() {
    let cases: Vec<(String, &str)> = vec![
        (
            account("acme", "42", r#"{ env = "AT" }"#),
            "[channels.twitter] is missing",
        ),
        (
            format!("{APP}{}", account("acme", "@acme", r#"{ env = "AT" }"#)),
            "twitter.user_id '@acme' must be the account's numeric user id",
        ),
        (
            format!("{APP}{}", account("acme", "42", r#"{ env = "NOPE" }"#)),
            "twitter.access_secret: environment variable NOPE is not set",
        ),
        (
            format!("{APP}{}", account("acme", "42", r#"{ env = "EMPTY" }"#)),
            "twitter.access_secret: is empty",
        ),
        (
            format!(
                "{APP}{}",
                account("acme", "42", r#"{ file = "secrets/none" }"#)
            ),
            "cannot read /etc/baton/secrets/none: No such file",
        ),
        (
            format!(
                "{APP}{}",
                account("acme", "42", r#"{ file = "secrets/two-lines" }"#)
            ),
            "control characters",
        ),
        (
            format!("{APP}{}", account("acme", "42", r#""inline-secret""#)),
            "twitter.access_secret: write { env = \"NAME\" } or { file = \"path\" }",
        ),
        (
            format!(
                "{APP}{}{}",
                account("acme", "42", r#"{ env = "AT" }"#),
                account("beta", "42", r#"{ env = "AT" }"#)
            ),
            "twitter.user_id 42 is already account 'acme'",
        ),
        (
            APP.replace("http://127.0.0.1:9/", "ftp://x") + &account("a", "1", r#"{ env = "AT" }"#),
            "'ftp://x' must be an http(s) URL",
        ),
    ];
    for (text, want) in cases {
        let err = parse(&text).unwrap_err();
        assert!(err.contains(want), "{err}\n  wanted: {want}\n{text}");
        assert!(err.starts_with("/etc/baton/baton.toml:"), "{err}");
    }
}
