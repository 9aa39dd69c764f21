//! A data directory written by an earlier release must open in this one with nothing lost.
//!
//! `tests/fixtures/data-v2/` holds a sled directory written by a real daemon of the release
//! whose records are version 2, and a manifest of what it holds (its README says how it was
//! written, and by which commit); these tests start today's daemon on a copy.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Nothing but the disconnect grace runs out while the fixture is written or a test runs;
/// the grace has long run out by the time a test starts a daemon on the fixture.
const LONG: &str = r#"bot_unresolved = "100000h"
queue_update = "100000h"
queue_max_wait = "100000h"
offer = "100000h"
agent_first_reply = "100000h"
customer_idle = "100000h"
agent_disconnect_grace = "2m"
"#;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data-v2")
}

async fn dm(d: &Daemon, id: &str, customer: &str, text: &str) {
    let (status, v) = d.dm(id, customer, text).await;
    assert_eq!((status, v), (200, accepted()));
}

/// A daemon of today on a copy of the fixture; the manifest.
async fn upgraded(dir: &Path, sink: &FakeSink) -> (Daemon, Value) {
    let data = dir.join("data");
    copy_dir(&fixture().join("db"), &data);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().join("manifest.json")).unwrap())
            .unwrap();
    let accounts = with_timeouts(&dir.join("rules"), LONG);
    (
        Daemon::start_accounts(&data, &sink.url, &accounts).await,
        manifest,
    )
}

/// The conversations whose agent's grace was running when the fixture was written.
fn in_grace(manifest: &Value) -> Vec<String> {
    let graced: Vec<String> = manifest["agent_deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let t = d["timer"].as_str().unwrap();
            let n = t
                .trim_start_matches("Agent(AgentId(")
                .trim_end_matches("))");
            format!("a{n}")
        })
        .collect();
    conversations_of(manifest)
        .filter(|c| {
            graced
                .iter()
                .any(|a| c["conversation"]["agent"] == a.as_str())
        })
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn conversations_of(manifest: &Value) -> impl Iterator<Item = &Value> {
    manifest["conversations"].as_array().unwrap().iter()
}

#[tokio::test]
async fn a_v2_data_dir_opens_with_every_conversation_message_agent_and_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let (d, manifest) = upgraded(dir.path(), &sink).await;
    let graced = in_grace(&manifest);
    assert_eq!(graced.len(), 1, "the fixture has one conversation in grace");

    // The grace ran out while the directory lay unused: it fires at start-up, the customer is
    // told and goes back in line.
    let told = loop {
        let m = sink.next().await;
        if m["text"].as_str().unwrap().contains("disconnected") {
            break m;
        }
    };
    assert!(
        told["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}-", graced[0])),
        "{told}"
    );

    let (_, stats) = d.admin("/v1/stats").await;
    assert_eq!(stats["conversations"], manifest["stats"]["conversations"]);
    for want in conversations_of(&manifest) {
        let id = want["id"].as_str().unwrap();
        let (status, got) = d.admin(&format!("/v1/conversations/{id}")).await;
        assert_eq!(status, 200, "{id}: {got}");
        let (c, transcript) = (&got["conversation"], got["transcript"].as_array().unwrap());
        assert_eq!(c["customer"], want["conversation"]["customer"], "{id}");
        let n = want["messages"].as_u64().unwrap() as usize;
        let texts: Vec<&Value> = transcript.iter().map(|m| &m["text"]).collect();
        let want_texts: Vec<&Value> = want["texts"].as_array().unwrap().iter().collect();
        assert_eq!(&texts[..n.min(texts.len())], &want_texts[..], "{id}");
        if graced.iter().any(|g| g == id) {
            assert_eq!(c["state"], "queued", "{id}: back in line after the grace");
            assert!(transcript.len() > n, "{id}: the customer was told");
        } else if want["state"] == "offered" {
            // An open offer goes back to the queue at start-up, with its ticket.
            assert_eq!(c["state"], "queued", "{id}");
            assert_eq!(
                c["reason"], want["conversation"]["ticket"]["reason"],
                "{id}"
            );
            assert_eq!(transcript.len(), n, "{id}");
        } else {
            // Everything else is exactly as it was written, deadline included.
            assert_eq!(c, &want["conversation"], "{id}");
            assert_eq!(transcript.len(), n, "{id}");
        }
    }

    // The queue: the fixture's queued conversations, the re-queued offer and the one whose
    // agent vanished; the message left for follow-up.
    let (_, queue) = d.admin("/v1/queue/acme").await;
    let mut queued: Vec<&str> = queue["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["conversation"].as_str().unwrap())
        .collect();
    queued.sort_unstable();
    let mut want: Vec<&str> = conversations_of(&manifest)
        .filter(|c| c["state"] == "queued" || c["state"] == "offered")
        .map(|c| c["id"].as_str().unwrap())
        .chain(graced.iter().map(String::as_str))
        .collect();
    want.sort_unstable();
    assert_eq!(queued, want, "{queue}");
    for e in manifest["queue"]["entries"].as_array().unwrap() {
        let got = queue["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["conversation"] == e["conversation"])
            .unwrap();
        for field in ["priority", "reason", "skills", "note", "queued_at"] {
            assert_eq!(got[field], e[field], "{field} of {e}");
        }
    }
    assert_eq!(queue["follow_ups"], manifest["queue"]["follow_ups"]);

    // The agents, all offline now.
    let (_, agents) = d.admin("/v1/agents").await;
    let strip = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["id"].clone(),
                    a["name"].clone(),
                    a["skills"].clone(),
                    a["profile"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&agents["agents"]), strip(&manifest["agents"]));
}

#[tokio::test]
async fn an_existing_customer_continues_their_conversation_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let (d, manifest) = upgraded(dir.path(), &sink).await;
    let before = conversations_of(&manifest)
        .find(|c| c["customer"] == "u-bot")
        .unwrap();
    let id = before["id"].as_str().unwrap();
    // Event ids taken in before the upgrade are still known.
    let (status, v) = d.dm("b2", "u-bot", "where is my order").await;
    assert_eq!((status, v["status"].as_str()), (200, Some("duplicate")));
    dm(&d, "b3", "u-bot", "where is my order").await;
    loop {
        let m = sink.next().await;
        let n = m["id"].as_str().unwrap().rsplit('-').next().unwrap();
        if m["id"].as_str().unwrap().starts_with(&format!("{id}-"))
            && n.parse::<u64>().unwrap() >= before["conversation"]["next_seq"].as_u64().unwrap()
        {
            assert_eq!(
                m["text"],
                "You can track any order at https://example.com/track."
            );
            break;
        }
    }
    let (_, got) = d.admin(&format!("/v1/conversations/{id}")).await;
    let n = before["messages"].as_u64().unwrap() as usize;
    assert_eq!(got["transcript"].as_array().unwrap().len(), n + 2, "{got}");
    let (_, stats) = d.admin("/v1/stats").await;
    assert_eq!(stats["conversations"], manifest["stats"]["conversations"]);
}

/// Events kept for agents by the earlier release (frame text) are read back as such, and a
/// reconnecting agent would be sent each exactly as it was kept, its number in it.
#[test]
fn events_kept_for_agents_by_the_earlier_release_replay_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_dir(&fixture().join("db"), &data);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().join("manifest.json")).unwrap())
            .unwrap();
    let store = baton::store::Store::open(&data, 1 << 20).unwrap();
    let mut seen = 0;
    for agent in manifest["kept_agent_events"].as_array().unwrap() {
        let id: baton::domain::AgentId = agent["agent"].as_str().unwrap().parse().unwrap();
        let kept = store.agent_events(id, 0).unwrap();
        let expected = agent["events"].as_array().unwrap();
        assert_eq!(kept.len(), expected.len(), "{id}");
        for ((seq, event), want) in kept.into_iter().zip(expected) {
            let baton::store::Kept::Frame(text) = &event else {
                panic!("{id} #{seq}: an earlier release's event read as {event:?}");
            };
            let frame: Value = serde_json::from_str(text).unwrap();
            assert_eq!(frame["seq"], seq, "{id}");
            assert_eq!(frame["seq"], want["seq"], "{id}");
            assert_eq!(frame["type"], want["type"], "{id}");
            let sent =
                baton::agents::render::render(&baton::engine::ToAgent::from((seq, event.clone())));
            assert_eq!(&sent, text);
            seen += 1;
        }
        assert_eq!(store.agent_next_seq(id).unwrap(), agent["next_seq"]);
    }
    assert_eq!(seen, 8);
}
