//! Transcripts out: `GET /v1/conversations` over conversations open and at rest across two
//! accounts (filters, paging, a restart), and `baton export` run as the real binary.

use crate::support::agent::*;
use crate::support::*;
use serde_json::{json, Value};
use std::collections::HashMap;

const ACCOUNTS: &str = "[accounts.acme]\nname = \"Acme Mobile\"\n\
                        [accounts.globex]\nname = \"Globex\"";

async fn dm_to(d: &Daemon, account: &str, id: &str, customer: &str, text: &str) {
    let body = json!({"id": id, "account": account, "customer": {"id": customer}, "text": text});
    let (status, v) = d.post_raw(body.to_string().into_bytes(), &[]).await;
    assert_eq!(status, 200, "{v}");
}

/// The listing's ids and states for a query.
async fn list(d: &Daemon, query: &str) -> (Vec<(String, String)>, Value) {
    let (status, v) = d.admin(&format!("/v1/conversations{query}")).await;
    assert_eq!(status, 200, "{query}: {v}");
    let rows = v["conversations"].as_array().unwrap();
    let ids = rows
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap().to_owned();
            (s("id"), s("state"))
        })
        .collect();
    (ids, v)
}

fn ids(rows: &[(String, String)]) -> Vec<&str> {
    rows.iter().map(|(id, _)| id.as_str()).collect()
}

/// Five conversations: c0 acme bot-only, c1 globex bot-only, c2 acme held by a0 (who wrote),
/// c3 acme resolved by a0, c4 globex queued (globex has no agents).
async fn history(d: &Daemon) -> Ws {
    dm_to(d, "acme", "m0", "u0", "hello").await;
    dm_to(d, "globex", "m1", "g1", "hello").await;
    let mut alissa = online(d, "Alissa", &["billing"], 2).await;
    let held = take(d, &mut alissa, "m2", "u2").await;
    assert_eq!(held, "c2");
    send(&mut alissa, json!({"type": "send", "conversation_id": held, "text": "Checking now.", "client_id": "k1"})).await;
    assert_eq!(next(&mut alissa).await["type"], "sent");
    let resolved = take(d, &mut alissa, "m3", "u3").await;
    act(&mut alissa, "resolve", &resolved).await;
    eventually("c3 is resolved", || async {
        (d.state("c3").await == "closed").then_some(())
    })
    .await;
    dm_to(d, "globex", "m4", "g4", "I want a real person").await;
    assert_eq!(d.state("c4").await, "queued");
    alissa
}

#[tokio::test]
async fn conversations_are_listed_filtered_and_paged_open_and_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let mut d = Daemon::start_accounts(dir.path(), &sink.url, ACCOUNTS).await;
    let _alissa = history(&d).await;

    let (all, v) = list(&d, "").await;
    let want = [
        ("c0", "bot"),
        ("c1", "bot"),
        ("c2", "with_agent"),
        ("c3", "closed"),
        ("c4", "queued"),
    ];
    let got: Vec<(&str, &str)> = all.iter().map(|(i, s)| (i.as_str(), s.as_str())).collect();
    assert_eq!(got, want, "{v}");
    assert_eq!(v["next"], Value::Null);
    assert_eq!(v["conversations"][2]["agent"], "a0");
    assert_eq!(v["conversations"][1]["account"], "globex");

    assert_eq!(ids(&list(&d, "?account=globex").await.0), ["c1", "c4"]);
    assert_eq!(ids(&list(&d, "?state=closed").await.0), ["c3"]);
    // Who holds it now, or held it: the resolved one too.
    assert_eq!(ids(&list(&d, "?agent=a0").await.0), ["c2", "c3"]);
    assert_eq!(ids(&list(&d, "?agent=a7").await.0), Vec::<&str>::new());
    let q = "?state=bot,queued&account=globex";
    assert_eq!(ids(&list(&d, q).await.0), ["c1", "c4"]);
    assert_eq!(ids(&list(&d, "?since=1h").await.0).len(), 5);
    let q = "?since=2999-01-01T00:00:00Z";
    assert_eq!(ids(&list(&d, q).await.0), Vec::<&str>::new());

    // Every conversation exactly once across pages, whatever the page size and filter.
    for (filter, total) in [("", 5), ("&account=acme", 3), ("&state=bot", 2)] {
        for limit in 1..=3 {
            let mut seen: Vec<String> = Vec::new();
            let mut after = String::new();
            for _ in 0..10 {
                let q = format!("?limit={limit}{filter}{after}");
                let (rows, v) = list(&d, &q).await;
                assert!(rows.len() <= limit, "{q}: {v}");
                seen.extend(rows.into_iter().map(|(id, _)| id));
                match v["next"].as_str() {
                    Some(next) => after = format!("&after={next}"),
                    None => break,
                }
            }
            let mut unique = seen.clone();
            unique.dedup();
            assert_eq!(unique, seen, "{filter} by {limit}: none twice");
            assert_eq!(seen.len(), total, "{filter} by {limit}: {seen:?}");
        }
    }

    // After a restart the resolved conversation is at rest: on disk, not in memory, and
    // listed with who held it (read from its stored turns).
    d.stop().await;
    let d = Daemon::start_accounts(dir.path(), &sink.url, ACCOUNTS).await;
    let (_, stats) = d.admin("/v1/stats").await;
    assert_eq!(stats["conversations"], 5, "{stats}");
    assert_eq!(stats["resident"], 4, "only c3 is at rest: {stats}");
    let (closed, v) = list(&d, "?state=closed").await;
    assert_eq!(ids(&closed), ["c3"]);
    assert_eq!(v["conversations"][0]["agents"], json!(["a0"]), "{v}");
    assert_eq!(v["conversations"][0]["account"], "acme");
    assert_eq!(ids(&list(&d, "?agent=a0").await.0), ["c2", "c3"]);
    assert_eq!(ids(&list(&d, "").await.0).len(), 5);
}

#[tokio::test]
async fn bad_parameters_are_refused_by_name_as_json() {
    let (_dir, _sink, d) = fresh().await;
    d.dm("b1", "u1", "hello").await;
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("after=c01", "after"),
        ("after=42", "after"),
        ("state=held", "state"),
        ("since=soon", "since"),
        ("agent=alissa", "agent"),
        ("account=", "account"),
        ("colour=red", "colour"),
        ("limit=1&limit=2", "limit"),
    ] {
        let (status, v) = d.admin(&format!("/v1/conversations?{query}")).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some("bad_request")),
            "{query}: {v}"
        );
        let message = v["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("'{param}'")),
            "{query}: {message}"
        );
    }
    // An account this daemon does not have: "not here", as for every request naming one.
    let (status, v) = d.admin("/v1/conversations?account=nobody").await;
    assert_eq!(
        (status, v["error"].as_str()),
        (421, Some("misdirected")),
        "{v}"
    );
    for (query, param) in [("after=c0", "after"), ("since=nope", "since")] {
        let (status, v) = d.admin(&format!("/v1/export?{query}")).await;
        assert_eq!(status, 400, "{query}: {v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains(&format!("'{param}'")),
            "{v}"
        );
    }
    let res = d.get("/v1/conversations").await;
    assert_eq!(res.status().as_u16(), 401);
    let res = d.get("/v1/export").await;
    assert_eq!(res.status().as_u16(), 401);
}

fn export_args(d: &Daemon, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["export", "--config", "/nonexistent/baton.toml", "--url"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend([d.base.clone(), "--token".into(), ADMIN.into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[tokio::test]
async fn the_cli_exports_every_message_with_its_author_and_profile() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let d = Daemon::start_accounts(dir.path(), &sink.url, ACCOUNTS).await;
    let _alissa = history(&d).await;
    let out = dir.path().join("export.jsonl");
    let args = export_args(&d, &["--since", "1h", "--out", out.to_str().unwrap()]);
    let (ok, stdout, stderr) = run_baton(args).await;
    assert!(ok, "{stdout}{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        stdout.contains(&format!("exported {} messages", lines.len())),
        "{stdout}"
    );

    // Every message of every conversation, in order, as many as each conversation has.
    let (_, listing) = d.admin("/v1/conversations").await;
    let mut by_conversation: HashMap<String, Vec<&Value>> = HashMap::new();
    for l in &lines {
        by_conversation
            .entry(l["conversation"].as_str().unwrap().into())
            .or_default()
            .push(l);
    }
    for c in listing["conversations"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let got = by_conversation.get(id).map_or(&[][..], Vec::as_slice);
        let seqs: Vec<u64> = got.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
        let want: Vec<u64> = (0..c["messages"].as_u64().unwrap()).collect();
        assert_eq!(seqs, want, "{id}");
        assert!(got.iter().all(|l| l["account"] == c["account"]), "{id}");
    }
    for l in &lines {
        match l["author"].as_str().unwrap() {
            "customer" => {
                assert_eq!(l["profile"], Value::Null, "{l}");
                assert!(l.get("delivery").is_none(), "{l}");
            }
            "bot" | "agent" | "system" => {
                assert!(l["profile"]["name"].is_string(), "{l}");
                let delivery = l["delivery"].as_str().unwrap();
                assert!(["delivered", "pending"].contains(&delivery), "{l}");
            }
            other => panic!("author {other}: {l}"),
        }
    }

    // The held conversation: the bot's profile until the handoff, Alissa's after it.
    let held: Vec<&Value> = by_conversation["c2"]
        .iter()
        .copied()
        .filter(|l| l["author"] != "customer")
        .collect();
    let handoff = held.iter().position(|l| l["author"] == "agent").unwrap();
    assert!(handoff > 0, "the bot spoke first: {held:?}");
    let bot_profile = &held[0]["profile"];
    for l in &held[..handoff] {
        assert_eq!(
            (&l["author"], &l["profile"]),
            (&json!("bot"), bot_profile),
            "{l}"
        );
        assert!(l.get("agent").is_none(), "{l}");
    }
    for l in &held[handoff..] {
        assert_eq!(l["author"], "agent", "{l}");
        assert_eq!(l["agent"], "a0", "{l}");
        assert_eq!(l["profile"]["name"], "Alissa, Acme", "{l}");
    }
    assert_eq!(held.last().unwrap()["text"], "Checking now.");
    let bot_names: Vec<&Value> = lines
        .iter()
        .filter(|l| l["author"] == "bot" && l["account"] == "globex")
        .map(|l| &l["profile"])
        .collect();
    assert!(!bot_names.is_empty() && bot_names.iter().all(|p| *p == bot_names[0]));

    // To stdout, one account: JSON lines only, that account's only.
    let args = export_args(&d, &["--since", "1h", "--account", "globex"]);
    let (ok, stdout, stderr) = run_baton(args).await;
    assert!(ok, "{stderr}");
    let globex: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want = lines.iter().filter(|l| l["account"] == "globex").count();
    assert_eq!(globex.len(), want, "{stdout}");
    assert!(globex.iter().all(|l| l["account"] == "globex"));
    assert!(
        stderr.contains(&format!("exported {want} messages")),
        "{stderr}"
    );

    // Nothing since a moment to come; a bad duration is the daemon's 400, said plainly.
    let args = export_args(&d, &["--since", "2999-01-01T00:00:00Z"]);
    let (ok, stdout, _) = run_baton(args).await;
    assert!(ok && stdout.is_empty(), "{stdout}");
    let (ok, _, stderr) = run_baton(export_args(&d, &["--since", "lately"])).await;
    assert!(
        !ok && stderr.contains("400") && stderr.contains("'since'"),
        "{stderr}"
    );
}
