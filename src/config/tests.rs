//! Config parsing: defaults, overrides and every kind of bad file with its position.

use super::*;
use crate::rules::{self, TimeoutOverrides, TimeoutScope, Timeouts};

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
fn the_webhook_receiver_shows_profiles_unless_told_otherwise() {
    assert!(parse(MINIMAL, &[]).unwrap().webhook.profiles);
    for (value, shows) in [("true", true), ("false", false)] {
        let text = format!("{MINIMAL}[channels.webhook]\nprofiles = {value}\n");
        assert_eq!(
            parse(&text, &[]).unwrap().webhook.profiles,
            shows,
            "{value}"
        );
    }
    let text = format!("{MINIMAL}[channels.webhook]\nprofiles = \"no\"\n");
    assert!(parse(&text, &[]).is_err());
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
fn https_sinks_are_taken_now_that_tls_is_built_in() {
    let text = format!("{MINIMAL}[channels.webhook.outbound]\nsink = \"http\"\nurl = \"https://hooks.example.com/out\"\n");
    let c = parse(&text, &[]).unwrap();
    assert_eq!(
        c.webhook.sink,
        SinkConfig::Http {
            url: "https://hooks.example.com/out".into(),
            timeout: Duration::from_secs(5)
        }
    );
}

const ACME: &str = r#"[accounts.acme]
name = "Acme Mobile"

[accounts.acme.hours]
zone = "Europe/London"
days = ["mon-fri"]
open = "09:00"
close = "17:30"

[accounts.acme.timeouts]
bot_unresolved = "5m"
queue_update = "1m"
queue_max_wait = "45m"
offer = "20s"
agent_first_reply = "2m"
customer_idle = "15m"
agent_disconnect_grace = "90s"
ageing = "10m"
"#;

#[test]
fn account_hours_and_timeout_overrides() {
    let c = parse(ACME, &[]).unwrap();
    let acme = &c.accounts[0];
    let hours = acme.hours.as_ref().map(|h| h.describe());
    assert_eq!(
        hours.as_deref(),
        Some("Mon–Fri 09:00–17:30 (Europe/London)")
    );
    let minutes = |m: u64| Some(Duration::from_secs(m * 60));
    let want = TimeoutOverrides {
        bot_unresolved: minutes(5),
        queue_update: minutes(1),
        queue_max_wait: minutes(45),
        offer: Some(Duration::from_secs(20)),
        agent_first_reply: minutes(2),
        customer_idle: minutes(15),
        agent_disconnect_grace: Some(Duration::from_secs(90)),
        ageing: minutes(10),
    };
    assert_eq!(acme.timeouts, want);

    let text =
        format!("{MINIMAL}[accounts.acme.timeouts]\nqueue_max_wait = \"45m\"\noffer = \"20s\"\n");
    let acme = &parse(&text, &[]).unwrap().accounts[0];
    let want = TimeoutOverrides {
        queue_max_wait: minutes(45),
        offer: Some(Duration::from_secs(20)),
        ..TimeoutOverrides::default()
    };
    assert_eq!(acme.timeouts, want);
    assert!(acme.hours.is_none());
    let acme = &parse(MINIMAL, &[]).unwrap().accounts[0];
    assert_eq!(acme.timeouts, TimeoutOverrides::default());
}

/// Parses each text and checks its error starts with the wanted `file:line:col: message`.
fn check_errors(cases: &[(impl AsRef<str>, &str)]) {
    for (text, want) in cases {
        let text = text.as_ref();
        let got = parse(text, &[]).expect_err(text);
        assert!(
            got.starts_with(&format!("/etc/baton/{want}")),
            "{text:?}\n got: {got}\nwant: {want}"
        );
    }
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
        ("[accounts.a]\nname = \"A\"\n[channels.webhook.outbound]\nsink = \"http\"\nurl = \"ftp://x\"\n", "baton.toml:3:1: outbound url 'ftp://x' must be an http(s) URL"),
        ("[accounts.a]\nname = \"A\"\n[channels.webhook.outbound]\nsink = \"http\"\nurl = \"http://x\"\ntimeout = \"soon\"\n", "baton.toml:3:1:"),
        ("[accounts.a\n", "baton.toml:1:12:"),
    ];
    check_errors(cases);
}

#[test]
fn bad_hours_point_at_the_value() {
    // Lines 4 to 7 are zone, days, open and close.
    let hours = |zone: &str, days: &str, open: &str, close: &str| {
        format!(
            "[accounts.a]\nname = \"A\"\n[accounts.a.hours]\nzone = \"{zone}\"\ndays = {days}\n\
             open = \"{open}\"\nclose = \"{close}\"\n"
        )
    };
    let weekdays = r#"["mon-fri"]"#;
    let cases = [
        (
            hours("Europe/Londn", weekdays, "09:00", "17:30"),
            "baton.toml:4:8: hours.zone: unknown time zone 'Europe/Londn'",
        ),
        (
            hours("UTC", weekdays, "25:00", "26:00"),
            "baton.toml:6:8: hours.open: '25:00' is not a 24-hour time",
        ),
        (
            hours("UTC", weekdays, "09:00", "17.30"),
            "baton.toml:7:9: hours.close: '17.30' is not a 24-hour time",
        ),
        (
            hours("UTC", weekdays, "17:30", "09:00"),
            "baton.toml:7:9: hours.close: close 09:00 must be after open 17:30",
        ),
        (
            hours("UTC", r#"["mon", "fun"]"#, "09:00", "17:30"),
            "baton.toml:5:16: hours.days: 'fun' is not a day",
        ),
        (
            hours("UTC", "[]", "09:00", "17:30"),
            "baton.toml:5:8: hours.days: name at least one day",
        ),
        (
            hours("UTC", r#""mon-fri""#, "09:00", "17:30"),
            "baton.toml:5:8: invalid type: string",
        ),
        (
            format!(
                "{}lunch = \"12:00\"\n",
                hours("UTC", weekdays, "09:00", "17:30")
            ),
            "baton.toml:8:1: unknown field `lunch`",
        ),
        (
            "[accounts.a]\nname = \"A\"\n[accounts.a.hours]\nzone = \"UTC\"\n".into(),
            "baton.toml:3:1: missing field `days`",
        ),
    ];
    check_errors(&cases);
}

#[test]
fn bad_timeouts_point_at_the_value() {
    let timeouts =
        |line: &str| format!("[accounts.a]\nname = \"A\"\n[accounts.a.timeouts]\n{line}\n");
    let cases = [
        (
            timeouts("offer = \"0s\""),
            "baton.toml:4:9: timeouts.offer must be longer than zero",
        ),
        (
            timeouts("ageing = \"0ms\""),
            "baton.toml:4:10: timeouts.ageing must be longer than zero",
        ),
        (
            timeouts("queue_max_wait = \"soon\""),
            "baton.toml:4:18: timeouts.queue_max_wait: invalid duration \"soon\"",
        ),
        (
            timeouts("offer = 20"),
            "baton.toml:4:9: invalid type: integer `20`, expected a string",
        ),
        (
            timeouts("offer_timeout = \"5s\""),
            "baton.toml:4:1: unknown field `offer_timeout`",
        ),
    ];
    check_errors(&cases);
}

#[test]
fn bad_environment_is_named() {
    let err = parse(MINIMAL, &[("BATON_LISTEN", "x")]).unwrap_err();
    assert_eq!(
        err,
        "BATON_LISTEN: 'x' is not an address like 127.0.0.1:8080"
    );
}

/// A `[bot]` for the rules the timeouts below are read through.
const BOT: &str = r#"[bot]
profile = { name = "Test (bot)", avatar = "https://example.com/b.png" }
greeting = "Hi!"
fallback = "Sorry?"
"#;

/// Every key of `Timeouts::KEYS` reaches its own field, and only it, from each table it may be
/// written in (the rules' `[timeouts]`, a rule's `timeouts`, an account's), and merges as the
/// daemon merges them: the account's over the rules', the rule's over both. So a new key cannot
/// be half-wired.
#[test]
fn every_timeout_key_is_wired_through_every_table() {
    let secs = Duration::from_secs;
    let default = Timeouts::default();
    for key in Timeouts::KEYS {
        let name = key.name();
        assert!(!key.get(&default).is_zero(), "{name}: default is zero");
        let per_rule = key.scope() == TimeoutScope::Conversation;
        let rules = |rule_timeouts: &str| {
            let text = format!(
                "{BOT}[timeouts]\n{name} = '7s'\n[[rule]]\nname = 'r'\nkeywords = ['x']\n\
                 escalate = {{ reason = 'r' }}\n{rule_timeouts}\n"
            );
            rules::compile(&[(PathBuf::from("r.toml"), text)])
        };
        let rule_timeouts = format!("timeouts = {{ {name} = '11s' }}");
        let book = match rules(if per_rule { &rule_timeouts } else { "" }) {
            Ok(book) => book,
            Err(e) => panic!("{name}: rules should load:\n{e}"),
        };
        if !per_rule {
            let refused = rules(&rule_timeouts).map(|_| ()).map_err(|e| e.to_string());
            let want = format!("r.toml:11:14: {name} cannot be set per rule; set it in [timeouts]");
            assert_eq!(refused, Err(want));
        }
        let text = format!("{MINIMAL}[accounts.acme.timeouts]\n{name} = \"13s\"\n");
        let account = parse(&text, &[]).unwrap().accounts.remove(0).timeouts;
        let rule = book.rule_named("r");

        let only = |d: Duration| {
            let mut o = TimeoutOverrides::default();
            key.set(&mut o, d);
            o
        };
        let rule_overrides = rule.map(|r| r.timeouts);
        let want_rule = if per_rule {
            only(secs(11))
        } else {
            TimeoutOverrides::default()
        };
        assert_eq!(
            rule_overrides,
            Some(want_rule),
            "{name}: the rule's overrides"
        );
        assert_eq!(account, only(secs(13)), "{name}: the account's overrides");
        for o in [want_rule, account]
            .iter()
            .filter(|o| **o != TimeoutOverrides::default())
        {
            assert_eq!(
                Timeouts::KEYS
                    .iter()
                    .filter(|k| k.overridden(o).is_some())
                    .count(),
                1
            );
        }

        // As `App::build` makes an account's timeouts, then the desk a conversation's.
        let for_account = book.timeouts.with(&account);
        let for_rule = for_account.for_rule(rule);
        let cases = [
            ("[timeouts]", book.timeouts, secs(7)),
            ("the account", for_account, secs(13)),
            (
                "the rule",
                for_rule,
                if per_rule { secs(11) } else { secs(13) },
            ),
        ];
        for (table, got, want) in cases {
            for other in Timeouts::KEYS {
                let expected = if other.name() == name {
                    want
                } else {
                    other.get(&default)
                };
                let field = other.name();
                assert_eq!(other.get(&got), expected, "{name} set in {table}: {field}");
            }
        }
    }
}

mod twitter;

#[test]
fn the_try_page_is_served_only_when_asked_for() {
    assert!(!parse(MINIMAL, &[]).unwrap().console.try_page);
    for (value, served) in [("true", true), ("false", false)] {
        let text = format!("[console]\ntry_page = {value}\n{MINIMAL}");
        assert_eq!(parse(&text, &[]).unwrap().console.try_page, served);
    }
    let text = format!("[console]\ntry_page = \"yes\"\n{MINIMAL}");
    assert_eq!(
        parse(&text, &[]).unwrap_err(),
        "/etc/baton/baton.toml:2:12: invalid type: string \"yes\", expected a boolean"
    );
    let text = format!("[console]\ntheme = \"dark\"\n{MINIMAL}");
    assert_eq!(
        parse(&text, &[]).unwrap_err(),
        "/etc/baton/baton.toml:2:1: unknown field `theme`, expected `try_page`"
    );
}

#[test]
fn the_shipped_config_serves_the_try_page() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("baton.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(parse(&text, &[]).unwrap().console.try_page);
}

#[test]
fn every_error_is_reported_at_once_in_file_order() {
    let text = "listen = \"nowhere\"\n[store]\ncache_capacity_mb = 0\n\
                [accounts.acme]\nname = \" \"\n[accounts.acme.hours]\nzone = \"Mars/Olympus\"\n\
                days = [\"mon\"]\nopen = \"09:00\"\nclose = \"17:00\"\n\
                [accounts.acme.timeouts]\noffer = \"soon\"\n\
                [accounts.Bad]\nname = \"B\"\n[http]\nmax_connections = 0\nidle_timeout = \"0s\"\n";
    let err = parse(text, &[]).unwrap_err();
    let lines: Vec<&str> = err.lines().collect();
    let at: Vec<&str> = lines
        .iter()
        .map(|l| l.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        at,
        [
            "/etc/baton/baton.toml:1:10",
            "/etc/baton/baton.toml:3:21",
            "/etc/baton/baton.toml:5:8",
            "/etc/baton/baton.toml:7:8",
            "/etc/baton/baton.toml:12:9",
            "/etc/baton/baton.toml:13:1",
            "/etc/baton/baton.toml:16:19",
            "/etc/baton/baton.toml:17:16",
        ],
        "{err}"
    );
    assert!(lines[0].contains("listen"), "{err}");
    assert!(lines[2].contains("account name must not be empty"), "{err}");
    assert!(lines[3].contains("hours.zone"), "{err}");
    assert!(lines[5].contains("account id 'Bad'"), "{err}");
}

#[test]
fn rules_dir_keeps_where_it_was_named() {
    let text = "rules_dir = \"shared\"\n[accounts.acme]\nname = \"Acme\"\n\
                [accounts.beta]\nname = \"Beta\"\nrules_dir = \"own\"\n";
    let c = parse(text, &[]).unwrap();
    let at = |c: &AccountConfig| (c.rules_dir_at.line, c.rules_dir_at.col);
    assert_eq!(at(&c.accounts[0]), (1, 13));
    assert_eq!(at(&c.accounts[1]), (6, 13));
    assert_eq!(c.accounts[1].rules_dir, PathBuf::from("/etc/baton/own"));
    assert_eq!(
        c.accounts[0].rules_dir_at.to_string(),
        "/etc/baton/baton.toml:1:13"
    );
    // Not named at all: the account's table.
    let c = parse(MINIMAL, &[]).unwrap();
    assert_eq!(at(&c.accounts[0]).0, 1);
}
