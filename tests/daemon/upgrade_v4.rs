//! A data directory the release before this one wrote (turns and checkpoints packed as
//! version 4, the conversation inside each a map) opens with nothing lost.
//!
//! `tests/fixtures/data-v4/` was written by a real daemon of that release with
//! `tests/fixtures/data-v4/write.py` (its README says how): a first session stopped cleanly (its
//! turns in the turn files, its conversations checkpointed in sled, one of them closed and at
//! rest on disk), a second killed after its last acknowledgement (its turns only in the
//! journal, replayed at start-up). `manifest.json` is what that daemon answered just before the
//! kill.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// As the fixture was written: nothing runs out while it lies unused.
const NEVER: &str = r#"bot_unresolved = "100000h"
queue_update = "100000h"
queue_max_wait = "100000h"
offer = "100000h"
agent_first_reply = "100000h"
customer_idle = "100000h"
agent_disconnect_grace = "100000h"
"#;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data-v4")
}

async fn upgraded(dir: &Path, sink: &FakeSink) -> (Daemon, Value) {
    let data = dir.join("data");
    copy_dir(&fixture().join("data"), &data);
    let manifest = std::fs::read_to_string(fixture().join("manifest.json")).unwrap();
    let accounts = with_timeouts(&dir.join("rules"), NEVER);
    (
        Daemon::start_accounts(&data, &sink.url, &accounts).await,
        serde_json::from_str(&manifest).unwrap(),
    )
}

/// What a transcript says, message by message, without the times.
fn said(transcript: &Value) -> Vec<(Value, Value, Value)> {
    transcript
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["from"].clone(), m["text"].clone(), m["profile"].clone()))
        .collect()
}

#[tokio::test]
async fn a_v4_data_dir_opens_with_every_conversation_message_agent_and_place_in_line() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let (d, manifest) = upgraded(dir.path(), &sink).await;
    let (_, stats) = d.admin("/v1/stats").await;
    assert_eq!(stats["conversations"], manifest["stats"]["conversations"]);
    let wanted = manifest["conversations"].as_array().unwrap();
    let states: Vec<&Value> = wanted.iter().map(|c| &c["conversation"]["state"]).collect();
    for state in ["bot", "closed", "with_agent", "queued"] {
        assert!(
            states.contains(&&Value::from(state)),
            "no {state} in the fixture"
        );
    }
    for want in wanted {
        let id = want["conversation"]["id"].as_str().unwrap();
        let (status, got) = d.admin(&format!("/v1/conversations/{id}")).await;
        assert_eq!(status, 200, "{id}: {got}");
        assert_eq!(got["conversation"], want["conversation"], "{id}");
        assert_eq!(said(&got["transcript"]), said(&want["transcript"]), "{id}");
    }
    let (_, queue) = d.admin("/v1/queue/acme").await;
    assert_eq!(queue, manifest["queue"]);
    let (_, agents) = d.admin("/v1/agents").await;
    let who = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| (a["id"].clone(), a["name"].clone(), a["profile"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(who(&agents["agents"]), who(&manifest["agents"]));
}

#[tokio::test]
async fn after_the_upgrade_old_events_are_duplicates_and_customers_carry_on() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let (d, manifest) = upgraded(dir.path(), &sink).await;
    // Events of both sessions, the replayed one included: each was taken once already.
    for id in manifest["event_ids"].as_array().unwrap() {
        let (status, v) = d.dm(id.as_str().unwrap(), "u-bot", "hello").await;
        assert_eq!(
            (status, v["status"].clone()),
            (200, "duplicate".into()),
            "{id}"
        );
    }
    // The bot's customer writes again: the same conversation, one message and a reply more.
    let before = &manifest["conversations"][0];
    assert_eq!(before["conversation"]["customer"]["id"], "u-bot");
    let n = before["transcript"].as_array().unwrap().len();
    assert_eq!(d.dm("after-1", "u-bot", "hello again").await.0, 200);
    let id = before["conversation"]["id"].as_str().unwrap();
    eventually("the reply after the upgrade", || async {
        let (_, got) = d.admin(&format!("/v1/conversations/{id}")).await;
        (got["transcript"].as_array().unwrap().len() >= n + 2).then_some(())
    })
    .await;
}
