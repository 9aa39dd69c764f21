//! `baton backup` and `baton restore`, run as the real binary: a backup taken while DMs flow
//! holds exactly one point in time (everything acknowledged before it started, nothing that
//! never happened), a daemon starts on the restored dir, and a damaged file or a non-empty dir
//! is refused without writing anything.

use crate::support::*;
use serde_json::Value;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Customers the writer cycles through; the first DMs go in order, so `k{j}` is `c{j}`.
const CUSTOMERS: usize = 6;

async fn backup(d: &Daemon, to: &Path) -> (bool, String, String) {
    let args = [
        "backup",
        "--to",
        &to.display().to_string(),
        "--url",
        &d.base,
    ];
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    args.extend(["--token".into(), ADMIN.into()]);
    run_baton(args).await
}

async fn restore(from: &Path, dir: &Path) -> (bool, String, String) {
    let args = [
        "restore",
        "--from",
        &from.display().to_string(),
        "--data-dir",
        &dir.display().to_string(),
    ];
    run_baton(args.iter().map(|s| s.to_string()).collect()).await
}

/// Every conversation's transcript (texts), as the admin API tells it.
async fn transcripts(d: &Daemon) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for j in 0..CUSTOMERS {
        let (status, v) = d.admin(&format!("/v1/conversations/c{j}")).await;
        assert_eq!(status, 200, "c{j}: {v}");
        let texts = v["transcript"].as_array().unwrap().iter();
        all.push(texts.map(|m| text(m).to_owned()).collect());
    }
    all
}

fn text(m: &Value) -> &str {
    m["text"].as_str().unwrap_or_default()
}

fn is_prefix(short: &[String], long: &[String]) -> bool {
    short.len() <= long.len() && long[..short.len()] == *short
}

#[tokio::test]
async fn a_backup_taken_while_dms_flow_restores_one_point_in_time() {
    let (_dir, sink, mut d) = fresh().await;
    let acked = Arc::new(Mutex::new(0usize));
    let stop = Arc::new(Mutex::new(false));
    let writer = {
        let (base, acked, stop) = (d.base.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let d = Daemon {
                base,
                client: reqwest::Client::new(),
                running: None,
            };
            let mut i = 0;
            while !*stop.lock().unwrap() {
                let (status, v) = d
                    .dm(
                        &format!("e{i}"),
                        &format!("k{}", i % CUSTOMERS),
                        &format!("note {i}"),
                    )
                    .await;
                assert_eq!(status, 200, "{v}");
                *acked.lock().unwrap() += 1;
                i += 1;
            }
        })
    };
    eventually("DMs flowing", || async {
        (*acked.lock().unwrap() >= 3 * CUSTOMERS).then_some(())
    })
    .await;
    let before = transcripts(&d).await;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("baton.backup");
    let (ok, out, err) = backup(&d, &file).await;
    assert!(ok, "{out}{err}");
    assert!(
        out.starts_with(&format!("wrote {}: ", file.display())),
        "{out}"
    );
    let acked_at_backup = *acked.lock().unwrap();
    eventually("more DMs after the backup", || async {
        (*acked.lock().unwrap() > acked_at_backup + CUSTOMERS).then_some(())
    })
    .await;
    *stop.lock().unwrap() = true;
    writer.await.unwrap();
    let after = transcripts(&d).await;
    d.stop().await;

    let restored_dir = tmp.path().join("restored");
    let (ok, out, err) = restore(&file, &restored_dir).await;
    assert!(ok, "{out}{err}");
    assert!(out.starts_with("restored "), "{out}");
    let mut r = Daemon::start(&restored_dir, &sink.url).await;
    let restored = transcripts(&r).await;
    for j in 0..CUSTOMERS {
        // Everything acknowledged before the backup began, and only what really happened.
        assert!(
            is_prefix(&before[j], &restored[j]),
            "c{j} lost messages: {:?} then {:?}",
            before[j],
            restored[j]
        );
        assert!(
            is_prefix(&restored[j], &after[j]),
            "c{j} is not a moment of the original: {:?} vs {:?}",
            restored[j],
            after[j]
        );
    }
    // One point in time across conversations: the writer cycles through the customers, so
    // the notes restored are exactly notes 0..n for some n.
    let mut notes: Vec<u64> = restored
        .iter()
        .flatten()
        .filter_map(|t| t.strip_prefix("note ")?.parse().ok())
        .collect();
    notes.sort_unstable();
    let n = notes.len() as u64;
    assert_eq!(notes, (0..n).collect::<Vec<_>>());
    assert!(
        n >= before
            .iter()
            .flatten()
            .filter(|t| t.starts_with("note "))
            .count() as u64
    );
    // The restored daemon takes DMs and knows the events it had already taken.
    assert_eq!(r.dm("e0", "k0", "note 0").await.1["status"], "duplicate");
    assert_eq!(r.dm("fresh", "k0", "hello again").await.0, 200);
    r.stop().await;
}

/// A small daemon's backup file, and the temp dir holding it.
async fn small_backup() -> (tempfile::TempDir, std::path::PathBuf) {
    let (_dir, _sink, mut d) = fresh().await;
    for i in 0..3 {
        assert_eq!(d.dm(&format!("s{i}"), "sam", "hello").await.0, 200);
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("b.backup");
    let (ok, out, err) = backup(&d, &file).await;
    assert!(ok, "{out}{err}");
    d.stop().await;
    (tmp, file)
}

#[tokio::test]
async fn a_cut_or_flipped_backup_is_refused_and_nothing_is_written() {
    let (tmp, file) = small_backup().await;
    let good = std::fs::read(&file).unwrap();
    let target = tmp.path().join("data");
    let cut = tmp.path().join("cut.backup");
    std::fs::write(&cut, &good[..good.len() - 10]).unwrap();
    let (ok, _, err) = restore(&cut, &target).await;
    assert!(!ok);
    assert!(err.contains(&cut.display().to_string()), "{err}");
    assert!(err.contains("checksum does not match"), "{err}");
    assert!(
        !target.exists(),
        "a refused restore created {}",
        target.display()
    );

    let flipped = tmp.path().join("flipped.backup");
    let mut bad = good.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0x01;
    std::fs::write(&flipped, &bad).unwrap();
    let (ok, _, err) = restore(&flipped, &target).await;
    assert!(!ok);
    assert!(err.contains("checksum does not match"), "{err}");
    assert!(!target.exists());

    let other = tmp.path().join("other.txt");
    std::fs::write(&other, "hello").unwrap();
    let (ok, _, err) = restore(&other, &target).await;
    assert!(!ok);
    assert!(err.contains("not a Baton backup"), "{err}");
    assert!(!target.exists());

    // The good one restores.
    let (ok, out, err) = restore(&file, &target).await;
    assert!(ok, "{out}{err}");
}

#[tokio::test]
async fn restore_into_a_non_empty_dir_is_refused() {
    let (tmp, file) = small_backup().await;
    let target = tmp.path().join("data");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep.me"), "precious").unwrap();
    let (ok, _, err) = restore(&file, &target).await;
    assert!(!ok);
    assert!(err.contains("is not empty"), "{err}");
    let names: Vec<_> = std::fs::read_dir(&target).unwrap().collect();
    assert_eq!(names.len(), 1, "restore wrote into a non-empty dir");
    assert_eq!(
        std::fs::read_to_string(target.join("keep.me")).unwrap(),
        "precious"
    );
}

#[tokio::test]
async fn a_backup_needs_the_admin_token() {
    let (_dir, _sink, mut d) = fresh().await;
    let res = d.get("/v1/admin/backup").await;
    assert_eq!(res.status().as_u16(), 401);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("b.backup");
    let args = [
        "backup",
        "--to",
        &file.display().to_string(),
        "--url",
        &d.base,
        "--token",
        "nope",
    ];
    let (ok, _, err) = run_baton(args.iter().map(|s| s.to_string()).collect()).await;
    assert!(!ok);
    assert!(err.contains("401"), "{err}");
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "left a file behind"
    );
    d.stop().await;
}
