//! A data dir that lost something is refused with one sentence naming the file and what to do,
//! never served empty; `baton recover` rebuilds what it can, says what it could not, and the
//! daemon starts on the result.

use crate::support::agent::add_agent;
use crate::support::*;
use std::path::Path;

#[derive(Debug, Clone, Copy)]
enum Damage {
    Deleted,
    Emptied,
    Halved,
    CutTail,
    Flipped(u64),
}

fn damage(db: &Path, how: Damage) {
    let len = std::fs::metadata(db).unwrap().len();
    let mut bytes = std::fs::read(db).unwrap();
    match how {
        Damage::Deleted => return std::fs::remove_file(db).unwrap(),
        Damage::Emptied => bytes.clear(),
        Damage::Halved => bytes.truncate(len as usize / 2),
        Damage::CutTail => bytes.truncate((len as usize).saturating_sub(4096)),
        Damage::Flipped(permille) => {
            let at = (len * permille / 1000) as usize;
            bytes[at] ^= 0x5a;
        }
    }
    std::fs::write(db, bytes).unwrap();
}

/// A daemon that took 20 DMs and one agent, stopped cleanly.
async fn with_history(data: &Path, sink: &FakeSink) {
    let mut d = Daemon::start(data, &sink.url).await;
    for i in 0..20 {
        let (status, v) = d.dm(&format!("h{i}"), &format!("u{i}"), "hello").await;
        assert_eq!(status, 200, "{v}");
    }
    add_agent(&d, "Ann", &[], 1).await;
    d.stop().await;
}

/// Either everything is still there, or the start is refused naming a file and `baton recover`.
async fn nothing_lost_or_refused(data: &Path, sink: &FakeSink, how: Damage) -> bool {
    match Daemon::try_start(data, &sink.url).await {
        Ok(mut d) => {
            for i in 0..20 {
                let (_, v) = d.dm(&format!("h{i}"), &format!("u{i}"), "hello").await;
                assert_eq!(
                    v["status"], "duplicate",
                    "{how:?}: event h{i} was forgotten"
                );
            }
            let (_, agents) = d.admin("/v1/agents").await;
            assert_eq!(
                agents["agents"].as_array().map(Vec::len),
                Some(1),
                "{how:?}"
            );
            d.stop().await;
            false
        }
        Err(e) => {
            let names_file = e.contains(&format!("{}", data.join("db").display()))
                || e.contains(&format!("{}", data.join("journal").display()));
            assert!(names_file && e.contains("baton recover"), "{how:?}: {e}");
            true
        }
    }
}

#[tokio::test]
async fn a_store_deleted_emptied_or_cut_is_refused_and_recover_starts_it_again() {
    let sink = FakeSink::start().await;
    for how in [
        Damage::Deleted,
        Damage::Emptied,
        Damage::Halved,
        Damage::CutTail,
    ] {
        let dir = tempfile::tempdir().unwrap();
        with_history(dir.path(), &sink).await;
        damage(&dir.path().join("db"), how);
        let refused = nothing_lost_or_refused(dir.path(), &sink, how).await;
        if matches!(how, Damage::Deleted | Damage::Emptied) {
            assert!(refused, "{how:?}: the store lost everything and was served");
        }
        if !refused {
            continue;
        }
        let report = baton::store::recover(dir.path(), 1 << 20)
            .unwrap()
            .to_string();
        assert!(report.contains("LOST"), "{how:?}: {report}");
        // The operator chose: the daemon starts on what is left.
        let mut d = Daemon::try_start(dir.path(), &sink.url)
            .await
            .unwrap_or_else(|e| panic!("{how:?} after recover: {e}"));
        let (status, _) = d.dm("after", "u99", "hello").await;
        assert_eq!(status, 200);
        d.stop().await;
    }
}

#[tokio::test]
async fn a_flipped_byte_anywhere_in_the_store_never_panics_nor_loses_silently() {
    let sink = FakeSink::start().await;
    for permille in [1, 100, 300, 500, 700, 900, 999] {
        let how = Damage::Flipped(permille);
        let dir = tempfile::tempdir().unwrap();
        with_history(dir.path(), &sink).await;
        damage(&dir.path().join("db"), how);
        nothing_lost_or_refused(dir.path(), &sink, how).await;
    }
}

/// How many of the 20 conversations `with_history` made the admin API can show (a damaged
/// turn chunk makes a conversation's view a 503, with the file named in the log).
async fn readable(d: &Daemon) -> usize {
    let mut n = 0;
    for i in 0..20 {
        let (status, _) = d.admin(&format!("/v1/conversations/c{i}")).await;
        assert!(status == 200 || status == 503, "c{i}: {status}");
        n += usize::from(status == 200);
    }
    n
}

/// The turn files hold the turns' bytes (sled refers to them): one deleted or cut short is
/// refused at start, naming it; a flipped byte is found by the reader's checksum, never served
/// as another turn. `baton recover` takes out what it cannot read, says so, and the daemon
/// starts on the rest.
#[tokio::test]
async fn a_damaged_turn_file_is_refused_or_found_and_recover_takes_it_out() {
    let sink = FakeSink::start().await;
    for how in [Damage::Deleted, Damage::CutTail, Damage::Flipped(500)] {
        let dir = tempfile::tempdir().unwrap();
        with_history(dir.path(), &sink).await;
        let file = dir.path().join("turns/00000000000000000001.turns");
        assert!(file.exists(), "the turns went to the turn file");
        damage(&file, how);
        match Daemon::try_start(dir.path(), &sink.url).await {
            Err(e) => {
                assert!(!matches!(how, Damage::Flipped(_)), "{how:?}: {e}");
                assert!(
                    e.contains(&file.display().to_string()) && e.contains("baton recover"),
                    "{how:?}: {e}"
                );
            }
            Ok(mut d) => {
                assert!(matches!(how, Damage::Flipped(_)), "{how:?}: served");
                assert!(readable(&d).await < 20, "{how:?}: a damaged chunk was read");
                d.stop().await;
            }
        }
        let report = baton::store::recover(dir.path(), 1 << 20)
            .unwrap()
            .to_string();
        assert!(report.contains("LOST: turns"), "{how:?}: {report}");
        let mut d = Daemon::try_start(dir.path(), &sink.url)
            .await
            .unwrap_or_else(|e| panic!("{how:?} after recover: {e}"));
        assert_eq!(readable(&d).await, 20, "{how:?}: {report}");
        let (status, _) = d.dm("after", "u99", "hello").await;
        assert_eq!(status, 200);
        d.stop().await;
    }
}
