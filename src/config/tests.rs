//! Config parsing: defaults, overrides and every kind of bad file with its position.

use super::*;

fn parse(text: &str, env: &[(&str, &str)]) -> Result<Config, String> {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::parse(text, Path::new("/etc/baton/baton.toml"), |var| {
        env.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone())
    })
    .map_err(|e| e.to_string())
}

const MINIMAL: &str = "[accounts.acme]\nname = \"Acme Mobile\"\n";

#[test]
fn defaults_and_relative_paths() {
    let c = parse(MINIMAL, &[]).unwrap();
    assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(c.data_dir, PathBuf::from("/etc/baton/data"));
    assert_eq!(c.accounts[0].rules_dir, PathBuf::from("/etc/baton/rules"));
    assert_eq!(c.cache_bytes, 64 * 1024 * 1024);
    assert_eq!(c.webhook.sink, SinkConfig::Jsonl { path: None });
    assert!(c.admin_token.is_none() && c.webhook.secret.is_none());
    assert_eq!(c.agent_auth_timeout, Duration::from_secs(5));
    assert_eq!(c.event_retention, Duration::from_secs(7 * 86_400));
    let c = parse(
        &format!("[agents]\nauth_timeout = \"250ms\"\n{MINIMAL}"),
        &[],
    )
    .unwrap();
    assert_eq!(c.agent_auth_timeout, Duration::from_millis(250));
}

#[test]
fn environment_overrides_the_file() {
    let text = format!("listen = \"127.0.0.1:1\"\n[admin]\ntoken = \"file\"\n{MINIMAL}");
    let env = [
        ("BATON_LISTEN", "127.0.0.1:9999"),
        ("BATON_ADMIN_TOKEN", "env"),
        ("BATON_WEBHOOK_SECRET", "s3cret"),
        ("BATON_DATA_DIR", "/var/lib/baton"),
    ];
    let c = parse(&text, &env).unwrap();
    assert_eq!(c.listen.port(), 9999);
    assert_eq!(c.admin_token.as_deref(), Some("env"));
    assert_eq!(c.webhook.secret.as_deref(), Some("s3cret"));
    assert_eq!(c.data_dir, PathBuf::from("/var/lib/baton"));
}

#[test]
fn http_sink() {
    let text = format!(
        "{MINIMAL}[channels.webhook.outbound]\nsink = \"http\"\nurl = \"http://127.0.0.1:9/out\"\ntimeout = \"2s\"\n"
    );
    let c = parse(&text, &[]).unwrap();
    assert_eq!(
        c.webhook.sink,
        SinkConfig::Http {
            url: "http://127.0.0.1:9/out".into(),
            timeout: Duration::from_secs(2)
        }
    );
}

#[test]
fn bad_files_point_at_the_problem() {
    let cases: &[(&str, &str)] = &[
        ("listen = \"nope\"\n[accounts.a]\nname = \"A\"\n", "baton.toml:1:10: listen: 'nope' is not an address"),
        ("lisen = \"x\"\n", "baton.toml:1:1: unknown field `lisen`"),
        ("[accounts.Acme]\nname = \"A\"\n", "baton.toml:1:1: account id 'Acme' must be"),
        ("[accounts.a]\nname = \"  \"\n", "baton.toml:2:8: account name must not be empty"),
        ("[accounts]\n", "baton.toml:1:1: at least one account is required"),
        ("listen = \"127.0.0.1:1\"\n", "baton.toml:1:1: at least one account is required"),
        ("[store]\ncache_capacity_mb = 0\n[accounts.a]\nname = \"A\"\n", "baton.toml:2:21: cache_capacity_mb must be at least 1"),
        ("[accounts.a]\nname = \"A\"\n[channels.webhook.outbound]\nsink = \"smtp\"\n", "baton.toml:4:8: unknown variant `smtp`"),
        ("[accounts.a]\nname = \"A\"\n[channels.webhook.outbound]\nsink = \"http\"\nurl = \"ftp://x\"\n", "baton.toml:3:1: outbound url 'ftp://x' must be http://"),
        ("[accounts.a]\nname = \"A\"\n[channels.webhook.outbound]\nsink = \"http\"\nurl = \"https://x\"\n", "baton.toml:3:1: outbound url 'https://x': https is not supported"),
        ("[accounts.a]\nname = \"A\"\n[channels.webhook.outbound]\nsink = \"http\"\nurl = \"http://x\"\ntimeout = \"soon\"\n", "baton.toml:3:1:"),
        ("[accounts.a\n", "baton.toml:1:12:"),
    ];
    for (text, want) in cases {
        let got = parse(text, &[]).expect_err(text);
        assert!(
            got.starts_with(&format!("/etc/baton/{want}")),
            "{text:?}\n got: {got}\nwant: {want}"
        );
    }
}

#[test]
fn bad_environment_is_named() {
    let err = parse(MINIMAL, &[("BATON_LISTEN", "x")]).unwrap_err();
    assert_eq!(
        err,
        "BATON_LISTEN: 'x' is not an address like 127.0.0.1:8080"
    );
}
