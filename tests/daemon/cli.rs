//! `baton check` and `baton version`, run as the real binary.

use crate::support::*;
use std::process::Command;

fn baton(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn check_accepts_the_shipped_config_and_rules() {
    let root = env!("CARGO_MANIFEST_DIR");
    let (ok, out, err) = baton(&["check", "--config", &format!("{root}/baton.toml")]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("acme:"), "{out}");
}

#[test]
fn check_points_at_bad_rules_with_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::copy(
        fixture_rules().join("00-bot.toml"),
        rules.join("00-bot.toml"),
    )
    .unwrap();
    std::fs::write(
        rules.join("20-bad.toml"),
        "[[rule]]\nname = \"x\"\npatterns = ['(unclosed']\nreply = \"r\"\n",
    )
    .unwrap();
    let cfg = dir.path().join("baton.toml");
    std::fs::write(&cfg, "[accounts.acme]\nname = \"Acme\"\n").unwrap();
    let (ok, _, err) = baton(&["check", "--config", cfg.to_str().unwrap()]);
    assert!(!ok);
    let want = format!("{}:3:", rules.join("20-bad.toml").display());
    assert!(err.contains(&want), "{err}");

    std::fs::write(&cfg, "[accounts.acme]\nnme = \"Acme\"\n").unwrap();
    let (ok, _, err) = baton(&["check", "--config", cfg.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.starts_with(&format!("{}:2:1:", cfg.display())), "{err}");
}

#[test]
fn version_prints() {
    let (ok, out, _) = baton(&["version"]);
    assert!(ok && out.starts_with("baton "), "{out}");
    let (ok, flag, _) = baton(&["--version"]);
    assert!(ok && flag == out, "{flag:?} against {out:?}");
}

#[test]
fn check_accepts_the_production_example_config() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = dir.path().join("baton.toml");
    std::fs::copy(root.join("systemd/baton.toml"), &config).unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    for e in std::fs::read_dir(root.join("rules")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join("rules").join(e.file_name())).unwrap();
    }
    let (ok, out, err) = baton(&["check", "--config", config.to_str().unwrap()]);
    assert!(ok && out.contains("ok"), "{out}{err}");
}
