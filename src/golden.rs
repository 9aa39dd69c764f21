//! Golden files for tests: the exact bytes a wire format or record must keep.
//!
//! `check("agent/offer", text)` compares `text` with `tests/fixtures/golden/agent/offer.json`.
//! With `BATON_BLESS=1` in the environment it writes the file instead, for a change of format
//! that is meant; the diff of the golden file is then the review of that change.

use std::path::PathBuf;

pub fn check(name: &str, actual: &str) {
    check_file(&format!("{name}.json"), actual)
}

/// As [`check`], for a file named in full (`store/turn_new.v3`).
pub fn check_file(file: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/golden")
        .join(file);
    if std::env::var_os("BATON_BLESS").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, format!("{actual}\n")).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (BATON_BLESS=1 writes it)", path.display()));
    assert_eq!(
        actual,
        expected.trim_end_matches('\n'),
        "{file}: the bytes differ from {}",
        path.display()
    );
}

/// A fixed moment (2025-11-29T10:00:00Z) plus `ms`, so golden timestamps never move.
pub fn at(ms: u64) -> crate::domain::Timestamp {
    crate::domain::Timestamp(1_764_410_400_000 + ms)
}

/// Agent Sam's Custom Profile, as the golden frames and admin responses show it.
pub fn sam() -> crate::domain::Profile {
    crate::domain::Profile {
        id: "acme-a1".into(),
        name: "Sam, Acme".into(),
        avatar: "https://example.com/sam.png".into(),
    }
}
