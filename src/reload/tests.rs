//! What a reload refuses, and where rule loading points a bad `rules_dir`.

use super::*;
use std::path::Path;

fn config(text: &str) -> Config {
    let file = Path::new("/etc/baton/baton.toml");
    let full = format!("{text}\n[accounts.acme]\nname = \"Acme\"\n");
    Config::parse(&full, file, |_| None).unwrap()
}

#[test]
fn rules_hours_and_timeouts_can_change_live() {
    let old = config("");
    let new = config("rules_dir = \"other\"");
    assert!(needs_restart(&old, &new).is_empty());
    let with = |extra: &str| {
        let text = format!("[accounts.acme]\nname = \"Acme\"\n{extra}");
        Config::parse(&text, Path::new("/etc/baton/baton.toml"), |_| None).unwrap()
    };
    let timed = with("[accounts.acme.timeouts]\noffer = \"1m\"\n");
    assert!(needs_restart(&old, &timed).is_empty());
}

#[test]
fn each_key_a_restart_needs_is_named() {
    let old = config("");
    let new =
        config("listen = \"127.0.0.1:9\"\n[http]\nmax_connections = 5\n[admin]\ntoken = \"t\"");
    let said = needs_restart(&old, &new);
    assert_eq!(said.len(), 3, "{said:#?}");
    for (line, key) in said.iter().zip(["listen", "admin.token", "[http]"]) {
        assert!(
            line.contains(key)
                && line.ends_with("needs a restart (the rules in force are unchanged)"),
            "{line}"
        );
        assert!(line.starts_with("/etc/baton/baton.toml: "), "{line}");
    }
    let more = Config::parse(
        "[accounts.acme]\nname = \"Acme\"\n[accounts.beta]\nname = \"Beta\"\n",
        Path::new("/etc/baton/baton.toml"),
        |_| None,
    )
    .unwrap();
    let said = needs_restart(&old, &more);
    assert_eq!(said.len(), 1, "{said:#?}");
    assert!(said[0].contains("the set of [accounts]"), "{said:#?}");
}

#[test]
fn a_rules_dir_without_rules_is_pointed_at_where_the_config_names_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let file = dir.path().join("baton.toml");
    let text = "rules_dir = \"empty\"\n[accounts.acme]\nname = \"Acme\"\n\
                [accounts.beta]\nname = \"Beta\"\nrules_dir = \"missing\"\n";
    let config = Config::parse(text, &file, |_| None).unwrap();
    let errors = load_accounts(&config).unwrap_err().0;
    let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(said.len(), 2, "{said:#?}");
    let at = |line, col| format!("{}:{line}:{col}: rules_dir '", file.display());
    assert!(said[0].starts_with(&at(1, 13)), "{said:#?}");
    assert!(
        said[0].ends_with("no *.toml rule files in directory"),
        "{said:#?}"
    );
    assert!(said[1].starts_with(&at(6, 13)), "{said:#?}");
    assert!(said[1].contains("cannot read rules directory"), "{said:#?}");
}

#[test]
fn a_book_shared_by_accounts_is_counted_once() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let text = format!(
        "rules_dir = \"{}\"\n[accounts.acme]\nname = \"Acme\"\n[accounts.beta]\nname = \"Beta\"\n",
        rules.display()
    );
    let config = Config::parse(&text, Path::new("/x/baton.toml"), |_| None).unwrap();
    let accounts = load_accounts(&config).unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(rule_count(&accounts), accounts[0].rules.rules().len());
}
