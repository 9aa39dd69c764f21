//! Agents over time through the admin API and the `baton agent` commands, against a real
//! daemon: disable and enable, remove, a new token, an edit; what an agent that leaves held
//! goes to another; the old token is refused and its sockets closed with a reason; an edited
//! profile signs the next message and not the earlier ones; all of it survives a restart.

use crate::support::agent::*;
use crate::support::*;
use serde_json::{json, Value};

/// Close code of a socket whose token an admin revoked (docs/agent-protocol.md).
const REVOKED: u16 = 4403;

async fn admin_send(
    d: &Daemon,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = d
        .client
        .request(method, format!("{}{path}", d.base))
        .bearer_auth(ADMIN);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    (status, v)
}

async fn patch(d: &Daemon, id: &str, body: Value) -> (u16, Value) {
    admin_send(
        d,
        reqwest::Method::PATCH,
        &format!("/v1/agents/{id}"),
        Some(body),
    )
    .await
}

async fn delete(d: &Daemon, id: &str) -> (u16, Value) {
    admin_send(
        d,
        reqwest::Method::DELETE,
        &format!("/v1/agents/{id}"),
        None,
    )
    .await
}

/// Runs `baton ARGS --url … --token …` (the real binary) off the runtime's threads.
async fn baton(d: &Daemon, args: &[&str]) -> (bool, String, String) {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend([
        "--url".into(),
        d.base.clone(),
        "--token".into(),
        ADMIN.into(),
        "--config".into(),
        "/nonexistent/baton.toml".into(),
    ]);
    run_baton(all).await
}

/// The socket is told why (an `error` frame with `code`) and closed with [`REVOKED`].
async fn assert_revoked(ws: &mut Ws, code: &str) {
    let f = next(ws).await;
    assert_eq!(
        (f["type"].as_str(), f["code"].as_str()),
        (Some("error"), Some(code)),
        "{f}"
    );
    assert_eq!(closed(ws).await, REVOKED);
}

/// The token is refused at the socket: `unauthorized`, then close 4401.
async fn assert_refused(d: &Daemon, token: &str) {
    let mut ws = connect(d).await;
    send(&mut ws, json!({"type": "auth", "token": token})).await;
    let f = next(&mut ws).await;
    assert_eq!(f["code"], "unauthorized", "{f}");
    assert_eq!(closed(&mut ws).await, 4401);
}

/// The agent's row in `GET /v1/agents`, if it is listed.
async fn listed(d: &Daemon, id: &str) -> Option<Value> {
    let (_, v) = d.admin("/v1/agents").await;
    v["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
}

/// Reads the platform until a message with this text arrives; returns it.
async fn sent_text(sink: &mut FakeSink, text: &str) -> Value {
    sent_where(sink, |m| m["text"] == text).await
}

/// Reads the platform until a message `wanted` arrives (each read waits with a deadline).
async fn sent_where(sink: &mut FakeSink, wanted: impl Fn(&Value) -> bool) -> Value {
    loop {
        let m = sink.next().await;
        if wanted(&m) {
            return m;
        }
    }
}

/// Customer `u-held`'s conversation, held by the first agent (a0, signed in as `ws`).
async fn a0_holds_one(d: &Daemon) -> (String, Ws, String) {
    let token = add_agent(d, "Alissa", &[], 2).await;
    let mut ws = sign_in(d, &token).await;
    let conv = take(d, &mut ws, "h1", "u-held").await;
    (token, ws, conv)
}

/// The next offer on `ws`: its conversation id.
async fn offered(ws: &mut Ws) -> String {
    let offer = next(ws).await;
    assert_eq!(offer["type"], "offer", "{offer}");
    offer["conversation"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_agent_is_cut_off_and_what_it_held_goes_to_another_until_enabled() {
    let (_dir, mut sink, d) = fresh().await;
    let (token, mut alissa, conv) = a0_holds_one(&d).await;
    let mut bob = online(&d, "Bob", &[], 1).await;

    let (status, v) = d.admin_post("/v1/agents/a0/disable", json!({})).await;
    assert_eq!((status, v["disabled"].as_bool()), (200, Some(true)), "{v}");
    assert_revoked(&mut alissa, "agent_disabled").await;
    // Back in line and on to Bob; the customer hears from the bot that the person is gone.
    assert_eq!(offered(&mut bob).await, conv);
    let told = sent_where(&mut sink, |m| {
        m["sender"] == "bot" && m["text"].as_str().is_some_and(|t| t.contains("number 1"))
    })
    .await;
    assert_eq!(told["profile"]["id"], "bot-1", "{told}");
    assert_refused(&d, &token).await;
    assert_eq!(listed(&d, "a0").await.unwrap()["disabled"], true);

    // Disabled, it is offered nothing: Bob declines and the conversation waits for him.
    act(&mut bob, "decline", &conv).await;
    assert_eq!(next(&mut bob).await["type"], "offer_withdrawn");
    assert_eq!(offered(&mut bob).await, conv, "nobody else may have it");

    // Enabled again, the same token works.
    let (status, v) = d.admin_post("/v1/agents/a0/enable", json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v.get("disabled"), None, "{v}");
    let _again = sign_in(&d, &token).await;

    // Through the command line as well.
    let (ok, out, err) = baton(&d, &["agent", "disable", "a0"]).await;
    assert!(ok && out.contains("disabled"), "{out}{err}");
    assert_refused(&d, &token).await;
    let (ok, out, err) = baton(&d, &["agent", "enable", "a0"]).await;
    assert!(ok && !out.contains("disabled"), "{out}{err}");
    let (ok, out, _) = baton(&d, &["agent", "list"]).await;
    assert!(
        ok && out.contains("Alissa") && !out.contains("disabled"),
        "{out}"
    );
    authenticate(&d, &token, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_agent_is_gone_for_good_and_its_conversation_is_offered_to_another() {
    let (dir, mut sink, mut d) = fresh().await;
    let (token, mut alissa, conv) = a0_holds_one(&d).await;
    let mut bob = online(&d, "Bob", &[], 1).await;

    let (ok, out, err) = baton(&d, &["agent", "remove", "a0"]).await;
    assert!(ok && out.starts_with("removed a0"), "{out}{err}");
    assert_revoked(&mut alissa, "agent_removed").await;
    assert_eq!(offered(&mut bob).await, conv);
    accept(&mut bob, &conv).await;
    let hello = sent_text(
        &mut sink,
        "Hi, I'm Bob, a person on the Acme Mobile team. I've read our conversation so far.",
    )
    .await;
    assert_eq!(hello["profile"]["id"], "acme-a1");
    assert_refused(&d, &token).await;
    assert_eq!(listed(&d, "a0").await, None);
    // Gone: every operation on it is 404, and its id is not handed out again.
    assert_eq!(delete(&d, "a0").await.0, 404);
    assert_eq!(d.admin_post("/v1/agents/a0/enable", json!({})).await.0, 404);
    let (status, v) = d
        .admin_post(
            "/v1/agents",
            json!({"account": "acme", "name": "Cy", "profile_name": "Cy, Acme",
                   "avatar": "https://example.com/c.png"}),
        )
        .await;
    assert_eq!(
        (status, v["agent"]["id"].as_str()),
        (201, Some("a2")),
        "{v}"
    );

    // The API does the same.
    let (status, v) = delete(&d, "a2").await;
    assert_eq!((status, v), (200, json!({"removed": "a2"})));

    // A restart keeps them removed and the ids used.
    d.stop().await;
    let d = Daemon::start(dir.path(), &sink.url).await;
    assert_eq!(listed(&d, "a0").await, None);
    assert_eq!(listed(&d, "a2").await, None);
    assert!(listed(&d, "a1").await.is_some());
    assert_refused(&d, &token).await;
    let fresh_one = add_agent(&d, "Di", &[], 1).await;
    assert_eq!(
        authenticate(&d, &fresh_one, None).await.1["agent"]["id"],
        "a3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_token_refuses_the_old_one_at_once_and_closes_its_sockets() {
    let (dir, sink, mut d) = fresh().await;
    let (old, mut alissa, conv) = a0_holds_one(&d).await;
    let (mut second, _) = authenticate(&d, &old, None).await;

    let (status, v) = d.admin_post("/v1/agents/a0/token", json!({})).await;
    assert_eq!(
        (status, v["agent"]["id"].as_str()),
        (200, Some("a0")),
        "{v}"
    );
    let new = v["token"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert_revoked(&mut alissa, "token_rotated").await;
    assert_revoked(&mut second, "token_rotated").await;
    assert_refused(&d, &old).await;
    // The new token finds the conversation still held (the disconnect grace kept it).
    let (_ws, welcome) = authenticate(&d, &new, None).await;
    assert_eq!(welcome["conversations"], json!([conv]), "{welcome}");

    // The command line prints the next one once; the one before stops working.
    let (ok, out, err) = baton(&d, &["agent", "rotate-token", "a0"]).await;
    assert!(ok, "{out}{err}");
    let newest = out
        .lines()
        .find_map(|l| l.strip_prefix("new token for a0: "))
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned();
    assert_refused(&d, &new).await;
    authenticate(&d, &newest, None).await;

    // Only the hash is kept: the token is nowhere in the data dir, and survives a restart.
    d.stop().await;
    let d = Daemon::start(dir.path(), &sink.url).await;
    assert_refused(&d, &old).await;
    authenticate(&d, &newest, None).await;
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        let found = bytes.windows(newest.len()).any(|w| w == newest.as_bytes());
        assert!(!found, "the token is stored in {}", entry.display());
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_profile_signs_the_next_message_and_the_earlier_keep_theirs() {
    let (dir, mut sink, mut d) = fresh().await;
    let (_token, mut alissa, conv) = a0_holds_one(&d).await;
    let say = |text: &str| json!({"type": "send", "conversation_id": conv, "text": text, "client_id": text});

    send(&mut alissa, say("Before the edit.")).await;
    let before = sent_text(&mut sink, "Before the edit.").await;
    assert_eq!(before["profile"]["name"], "Alissa, Acme", "{before}");

    let (status, v) = patch(
        &d,
        "a0",
        json!({"profile_name": "Ally, Acme", "avatar": "https://example.com/ally.png"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["profile"]["name"], "Ally, Acme");
    assert_eq!(v["presence"], "available", "an edit does not disconnect");
    // The agent hears how customers see it now, before it writes again (after the `sent` of
    // its last message).
    let mut updated = next(&mut alissa).await;
    if updated["type"] == "sent" {
        updated = next(&mut alissa).await;
    }
    assert_eq!(updated["type"], "agent_updated", "{updated}");
    assert_eq!(updated["profile"]["name"], "Ally, Acme", "{updated}");
    assert_eq!(updated["agent"]["id"], "a0", "{updated}");

    send(&mut alissa, say("After the edit.")).await;
    let after = sent_text(&mut sink, "After the edit.").await;
    assert_eq!(
        (
            after["profile"]["id"].as_str(),
            after["profile"]["name"].as_str(),
            after["profile"]["avatar"].as_str()
        ),
        (
            Some("acme-a0"),
            Some("Ally, Acme"),
            Some("https://example.com/ally.png")
        ),
        "{after}"
    );
    // The transcript keeps each message's own profile.
    let (_, view) = d.admin(&format!("/v1/conversations/{conv}")).await;
    let signed = |text: &str| {
        view["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["text"] == text)
            .map(|m| m["profile"]["name"].clone())
    };
    assert_eq!(
        signed("Before the edit."),
        Some(json!("Alissa, Acme")),
        "{view}"
    );
    assert_eq!(
        signed("After the edit."),
        Some(json!("Ally, Acme")),
        "{view}"
    );

    // The command line edits too; only what is given changes.
    let (ok, out, err) = baton(
        &d,
        &[
            "agent",
            "edit",
            "a0",
            "--name",
            "Alissa F",
            "--skills",
            "billing,retention",
            "--capacity",
            "3",
        ],
    )
    .await;
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("Alissa F")
            && out.contains("Ally, Acme")
            && out.contains("[billing, retention]")
            && out.contains("capacity 3"),
        "{out}"
    );

    // A restart keeps the edit and the disabled state.
    d.admin_post("/v1/agents/a0/disable", json!({})).await;
    d.stop().await;
    let d = Daemon::start(dir.path(), &sink.url).await;
    let a0 = listed(&d, "a0").await.unwrap();
    assert_eq!(
        (
            a0["name"].as_str(),
            a0["profile"]["name"].as_str(),
            a0["capacity"].as_u64(),
            a0["disabled"].as_bool()
        ),
        (Some("Alissa F"), Some("Ally, Acme"), Some(3), Some(true)),
        "{a0}"
    );
    assert_eq!(a0["skills"], json!(["billing", "retention"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_json() {
    let (_dir, _sink, d) = fresh().await;
    add_agent(&d, "Alissa", &[], 1).await;
    add_agent(&d, "Bob", &[], 1).await;

    for path in [
        "/v1/agents/a9/disable",
        "/v1/agents/a9/enable",
        "/v1/agents/a9/token",
        "/v1/agents/x/disable",
    ] {
        let (status, v) = d.admin_post(path, json!({})).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (404, Some("not_found")),
            "{path}: {v}"
        );
    }
    assert_eq!(delete(&d, "a9").await.0, 404);
    assert_eq!(patch(&d, "a9", json!({"capacity": 2})).await.0, 404);

    let cases = [
        (json!({"name": "  "}), 422, "invalid"),
        (json!({"capacity": 0}), 422, "invalid"),
        (json!({"profile_name": "Sam\u{202E}"}), 422, "invalid"),
        (json!({"avatar": "ftp://x"}), 422, "invalid"),
        (
            json!({"profile_name": "Test Assistant (bot)"}),
            409,
            "profile_taken",
        ),
        (json!({"profile_name": "B0b, Acme"}), 409, "profile_taken"),
        (json!({"nickname": "Al"}), 400, "bad_request"),
        (json!({"capacity": "two"}), 400, "bad_request"),
    ];
    for (body, want, code) in cases {
        let (status, v) = patch(&d, "a0", body.clone()).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (want, Some(code)),
            "{body}: {v}"
        );
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    // Nothing changed, and keeping its own profile name is no clash.
    let (status, v) = patch(&d, "a0", json!({"profile_name": "Alissa, Acme"})).await;
    assert_eq!(status, 200, "{v}");
    let a0 = listed(&d, "a0").await.unwrap();
    assert_eq!(
        (a0["name"].as_str(), a0["capacity"].as_u64()),
        (Some("Alissa"), Some(1))
    );

    // Without the admin token, nothing.
    let res = d
        .client
        .post(format!("{}/v1/agents/a0/disable", d.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);

    // The command line says what the daemon said, and fails.
    let (ok, _, err) = baton(&d, &["agent", "edit", "a0", "--capacity", "0"]).await;
    assert!(
        !ok && err.contains("422") && err.contains("capacity 0"),
        "{err}"
    );
    let (ok, _, err) = baton(&d, &["agent", "remove", "a9"]).await;
    assert!(!ok && err.contains("404"), "{err}");
    let (ok, _, err) = baton(&d, &["agent", "disable", "nobody"]).await;
    assert!(!ok && err.contains("agent id"), "{err}");
}
