//! Several daemons behind HAProxy (docs/scaling.md): three real `baton` processes own six
//! accounts, and HAProxy runs the shipped `deploy/haproxy/` config and maps. DMs and Twitter
//! deliveries reach their account's owner, agents through the router are offered only their
//! account's conversations, a daemon SIGKILLed mid-traffic costs its accounts a 503 with
//! `Retry-After` (not the others) and loses nothing acknowledged, and an account moves to a
//! new daemon by the documented procedure with nothing lost.
//!
//! Skipped when haproxy is not installed, except under `CI=true`, where that fails.

mod cluster;

use crate::support::agent::{available, next, send, Ws};
use crate::support::*;
use cluster::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The shipped maps: account → daemon, and each account's Twitter user id.
const D1: [(&str, &str); 2] = [("acme", "3001"), ("globex", "3002")];
const D2: [(&str, &str); 2] = [("initech", "3003"), ("umbrella", "3004")];
const D3: [(&str, &str); 2] = [("hooli", "3005"), ("stark", "3006")];
const ALL: [&str; 6] = ["acme", "globex", "initech", "umbrella", "hooli", "stark"];

/// Every DM the test sent, by event id: its account and customer, and whether it was
/// acknowledged (200) yet.
#[derive(Default)]
struct Ledger {
    dms: Vec<(String, &'static str, String, bool)>,
}

impl Ledger {
    fn new_dm(&mut self, account: &'static str) -> Value {
        let n = self.dms.len();
        let (id, customer) = (format!("m{n}"), format!("{account}-u{n}"));
        self.dms
            .push((id.clone(), account, customer.clone(), false));
        dm_body(account, &id, &customer, "where is my order?")
    }

    fn acked(&mut self, id: &str) {
        if let Some(d) = self.dms.iter_mut().find(|d| d.0 == id) {
            d.3 = true;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_accounts_on_three_daemons_behind_haproxy() {
    if haproxy().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut d1 = Node::new(&dir.path().join("d1"), "d1", &D1);
    let mut d2 = Node::new(&dir.path().join("d2"), "d2", &D2);
    let mut d3 = Node::new(&dir.path().join("d3"), "d3", &D3);
    // The daemon the moved accounts go to: a backend from the start, listening only later.
    let mut d4 = Node::new(&dir.path().join("d4"), "d4", &D3);
    for d in [&mut d1, &mut d2, &mut d3] {
        d.start();
    }
    let router = Router::start(
        dir.path(),
        &[
            ("d1", d1.port),
            ("d2", d2.port),
            ("d3", d3.port),
            ("d4", d4.port),
        ],
    );
    let http = reqwest::Client::new();
    let r = router.base.clone();
    for account in ALL {
        let url = format!("{r}/v1/queue/{account}");
        eventually(&format!("the router serves {account}"), || {
            let (http, url) = (http.clone(), url.clone());
            async move { (admin_get(&http, &url).await.0 == 200).then_some(()) }
        })
        .await;
    }
    let ledger = Arc::new(Mutex::new(Ledger::default()));

    // Two DMs per account, each through the router to its owner only.
    for account in ALL {
        for _ in 0..2 {
            let body = ledger.lock().unwrap().new_dm(account);
            let p = post_dm(&http, &r, &body).await;
            assert_eq!((p.status, &p.body), (200, &accepted()), "{account}");
            ledger.lock().unwrap().acked(body["id"].as_str().unwrap());
        }
    }
    let owners = [(&d1, D1), (&d2, D2), (&d3, D3)];
    eventually("every DM answered by its own daemon", || {
        let done = owners.iter().all(|(d, _)| {
            let r = replies(&[&d.sink], TRACK);
            r.len() == 4
                && r.keys()
                    .all(|c| d.accounts.iter().any(|a| c.starts_with(a)))
        });
        async move { done.then_some(()) }
    })
    .await;
    for (d, accounts) in owners {
        let want: BTreeSet<String> = accounts.iter().map(|(a, _)| a.to_string()).collect();
        assert_eq!(accounts_in(&d.sink), want, "{}", d.name);
    }
    // Straight to a daemon that does not own the account: 421, and nothing stored.
    let stray = dm_body("hooli", "stray", "hooli-stray", "where is my order?");
    let p = post_dm(&http, &d1.base(), &stray).await;
    assert_eq!(p.status, 421, "{:?}", p.body);
    assert_eq!(
        (p.body["error"].as_str(), p.body["account"].as_str()),
        (Some("misdirected"), Some("hooli"))
    );
    let (_, stats) = admin_get(&http, &format!("{}/v1/stats", d1.base())).await;
    assert_eq!(stats["conversations"], 4, "{stats}");

    admin_through_the_router(&http, &r).await;
    twitter_through_the_router(&http, &r, &d1, &d2).await;
    agents_through_the_router(&http, &r).await;

    // d2 dies mid-traffic: its accounts get 503 with Retry-After, the others keep going.
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Vec<(&'static str, Posted)>>> = Arc::default();
    let traffic = tokio::spawn(traffic(
        http.clone(),
        r.clone(),
        ledger.clone(),
        seen.clone(),
        stop.clone(),
    ));
    let acks = |seen: &Arc<Mutex<Vec<(&'static str, Posted)>>>, accounts: &[&str]| {
        let s = seen.lock().unwrap();
        s.iter()
            .filter(|(a, p)| accounts.contains(a) && p.status == 200)
            .count()
    };
    eventually("traffic flows to every account", || {
        let n = acks(&seen, &ALL);
        async move { (n >= 12).then_some(()) }
    })
    .await;
    d2.kill_9();
    let killed_at = seen.lock().unwrap().len();
    let others = ["acme", "globex", "hooli", "stark"];
    eventually(
        "d2's accounts get 503 + Retry-After, the others 200",
        || {
            let s = seen.lock().unwrap();
            let after = &s[killed_at.min(s.len())..];
            let held = |acc: &str| {
                after.iter().any(|(a, p)| {
                    *a == acc && p.status == 503 && p.retry_after.as_deref() == Some("5")
                })
            };
            let served = others
                .iter()
                .all(|o| after.iter().any(|(a, p)| a == o && p.status == 200));
            let ok = held("initech") && held("umbrella") && served;
            async move { ok.then_some(()) }
        },
    )
    .await;
    d2.start();
    let restarted_at = seen.lock().unwrap().len();
    eventually("d2's accounts are served again through the router", || {
        let s = seen.lock().unwrap();
        let after = &s[restarted_at.min(s.len())..];
        let ok = ["initech", "umbrella"]
            .iter()
            .all(|acc| after.iter().any(|(a, p)| a == acc && p.status == 200));
        async move { ok.then_some(()) }
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    traffic.await.unwrap();

    // The move (docs/scaling.md): hooli and stark, d3's accounts, go to d4 with its data dir.
    router.map(&[("hooli", "hold"), ("stark", "hold")]);
    let held = ledger.lock().unwrap().new_dm("hooli");
    eventually("the router holds hooli: 503 with Retry-After", || {
        let (http, r, held) = (http.clone(), r.clone(), held.clone());
        async move {
            let p = post_dm(&http, &r, &held).await;
            (p.status == 503 && p.retry_after.as_deref() == Some("5")).then_some(())
        }
    })
    .await;
    let backup = dir.path().join("d3.backup");
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["backup", "--url", &d3.base(), "--token", ADMIN, "--to"])
        .arg(&backup)
        .output()
        .unwrap();
    assert!(cli.status.success(), "{cli:?}");
    d3.stop().await;
    copy_dir(&dir.path().join("d3/data"), &dir.path().join("d4/data"));
    d4.start();
    router.map(&[("hooli", "d4"), ("stark", "d4")]);
    eventually("the router sends hooli to d4", || {
        let (http, r, held) = (http.clone(), r.clone(), held.clone());
        async move { (post_dm(&http, &r, &held).await.status == 200).then_some(()) }
    })
    .await;
    ledger.lock().unwrap().acked(held["id"].as_str().unwrap());
    let moved = ledger.lock().unwrap().new_dm("stark");
    let p = post_dm(&http, &r, &moved).await;
    assert_eq!(p.status, 200, "{:?}", p.body);
    ledger.lock().unwrap().acked(moved["id"].as_str().unwrap());
    // The safety copy restores too (into an empty dir), whole.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["restore", "--from"])
        .arg(&backup)
        .arg("--data-dir")
        .arg(dir.path().join("restored"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    // Every DM not acknowledged is delivered again, as a platform does, until it is.
    let pending: Vec<(String, &'static str, String)> = {
        let l = ledger.lock().unwrap();
        l.dms
            .iter()
            .filter(|d| !d.3)
            .map(|d| (d.0.clone(), d.1, d.2.clone()))
            .collect()
    };
    for (id, account, customer) in pending {
        let body = dm_body(account, &id, &customer, "where is my order?");
        eventually(&format!("{id} redelivered"), || {
            let (http, r, body) = (http.clone(), r.clone(), body.clone());
            async move { (post_dm(&http, &r, &body).await.status == 200).then_some(()) }
        })
        .await;
    }
    // Every DM ever acknowledged is on its owner now (the same event again is a duplicate
    // there), and was answered exactly once, by its account's daemons only.
    let dms = std::mem::take(&mut ledger.lock().unwrap().dms);
    for (id, account, customer, _) in &dms {
        let p = post_dm(
            &http,
            &r,
            &dm_body(account, id, customer, "where is my order?"),
        )
        .await;
        assert_eq!(
            (p.status, p.body["status"].as_str()),
            (200, Some("duplicate")),
            "{id} of {account} was lost"
        );
    }
    let sinks = [&d1.sink, &d2.sink, &d3.sink, &d4.sink];
    eventually("every DM answered exactly once", || {
        let all = replies(&sinks.map(|p| p.as_path()), TRACK);
        let done = dms.iter().all(|(_, _, c, _)| all.contains_key(c));
        async move { done.then_some(()) }
    })
    .await;
    let all = replies(&sinks.map(|p| p.as_path()), TRACK);
    for (id, account, customer, _) in &dms {
        assert_eq!(
            all[customer].len(),
            1,
            "{id} ({account}): {:?}",
            all[customer]
        );
    }
    let d2_accounts: BTreeSet<String> = ["initech", "umbrella"].map(String::from).into();
    assert_eq!(accounts_in(&d2.sink), d2_accounts);
    assert!(accounts_in(&d4.sink)
        .iter()
        .all(|a| a == "hooli" || a == "stark"));
}

/// `?account=` places admin calls, the console and the CLI (`--account`) on the owner;
/// conversation ids are per daemon, so one is shown only under its own account.
async fn admin_through_the_router(http: &reqwest::Client, r: &str) {
    for (account, other) in [("acme", "globex"), ("hooli", "stark")] {
        // Each daemon's first conversation is c0: the account decides which daemon's.
        let (status, v) =
            admin_get(http, &format!("{r}/v1/conversations/c0?account={account}")).await;
        assert_eq!(
            (status, v["conversation"]["account"].as_str()),
            (200, Some(account)),
            "{v}"
        );
        let (status, _) =
            admin_get(http, &format!("{r}/v1/conversations/c0?account={other}")).await;
        assert_eq!(status, 404, "{account}'s c0 shown as {other}'s");
        let res = http
            .get(format!("{r}/console?account={account}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let (status, v) = admin_get(http, &format!("{r}/v1/stats?account=nobody")).await;
    assert_eq!(
        (status, v["account"].as_str()),
        (421, Some("nobody")),
        "{v}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([
            "agent",
            "add",
            "--url",
            r,
            "--token",
            ADMIN,
            "--account",
            "stark",
        ])
        .args([
            "--name",
            "Tony",
            "--profile-name",
            "Tony, Stark",
            "--avatar",
            "https://example.com/t.png",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args([
            "agent",
            "list",
            "--url",
            r,
            "--token",
            ADMIN,
            "--account",
            "stark",
        ])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && listed.contains("Tony"), "{out:?}");
    assert!(!listed.contains("acme"), "d3's agents only: {listed}");
}

/// A Twitter delivery goes by its `for_user_id` to the account's daemon; the CRC challenge is
/// answered by any.
async fn twitter_through_the_router(http: &reqwest::Client, r: &str, d1: &Node, d2: &Node) {
    use base64::Engine as _;
    use hmac::Mac;
    let delivery = json!({"for_user_id": "3004", "direct_message_events": [{
        "type": "message_create", "id": "1700000000000000001", "created_timestamp": "1767225600000",
        "message_create": {"target": {"recipient_id": "3004"}, "sender_id": "5001",
            "message_data": {"text": "where is my order?"}}}]})
    .to_string();
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(delivery.as_bytes());
    let sig = format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    let deliver = |base: String| {
        let (http, delivery, sig) = (http.clone(), delivery.clone(), sig.clone());
        async move {
            let res = http
                .post(format!("{base}/v1/channels/twitter/webhook"))
                .header("content-type", "application/json")
                .header("x-twitter-webhooks-signature", sig)
                .body(delivery)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, v) = deliver(r.to_owned()).await;
    assert_eq!((status, &v["accepted"]), (200, &json!(1)), "{v}");
    // It is umbrella's, on d2: d2 has it already, d1 refuses it as not its own.
    let (status, v) = deliver(d2.base()).await;
    assert_eq!((status, &v["duplicates"]), (200, &json!(1)), "{v}");
    let (status, v) = deliver(d1.base()).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (421, Some("misdirected")),
        "{v}"
    );
    for _ in 0..3 {
        let url = format!("{r}/v1/channels/twitter/webhook?crc_token=abc");
        let res = http.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert!(v["response_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("sha256=")));
    }
}

/// Agents of acme (d1) and hooli (d3) connect through the router with `?account=`; each is
/// offered its own account's conversation and nothing else. A token of the wrong account is
/// refused.
async fn agents_through_the_router(http: &reqwest::Client, r: &str) {
    let mut tokens = Vec::new();
    for account in ["acme", "hooli"] {
        let res = http
            .post(format!("{r}/v1/agents?account={account}"))
            .bearer_auth(ADMIN)
            .json(&json!({"account": account, "name": "Sam", "profile_name": format!("Sam, {account}"),
                          "avatar": "https://example.com/a.png", "skills": [], "capacity": 2}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.unwrap();
        tokens.push(v["token"].as_str().unwrap().to_owned());
    }
    let ws_url = |account: &str| {
        format!(
            "{}/v1/agents/ws?account={account}",
            r.replace("http://", "ws://")
        )
    };
    let open = |account: &str, token: &str| {
        let (url, token) = (ws_url(account), token.to_owned());
        async move {
            let mut ws: Ws = tokio_tungstenite::connect_async(url).await.unwrap().0;
            send(&mut ws, json!({"type": "auth", "token": token})).await;
            let first = next(&mut ws).await;
            (ws, first)
        }
    };
    // acme's token on globex's door (the same daemon): refused before it is seated.
    let (mut wrong, frame) = open("globex", &tokens[0]).await;
    assert_eq!(frame["code"], "wrong_account", "{frame}");
    assert_eq!(crate::support::agent::closed(&mut wrong).await, 4401);
    let mut sockets = Vec::new();
    for (account, token) in ["acme", "hooli"].iter().zip(&tokens) {
        let (mut ws, welcome) = open(account, token).await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        assert_eq!(welcome["agent"]["account"], *account);
        available(&mut ws).await;
        sockets.push(ws);
    }
    for (account, ws) in ["acme", "hooli"].iter().zip(sockets.iter_mut()) {
        let customer = format!("{account}-wants-a-person");
        let body = dm_body(account, &format!("{account}-p"), &customer, "agent please");
        assert_eq!(post_dm(http, r, &body).await.status, 200);
        let offer = next(ws).await;
        assert_eq!(offer["type"], "offer", "{offer}");
        assert_eq!(offer["conversation"]["account"], *account, "{offer}");
        assert_eq!(offer["conversation"]["customer"]["id"], customer.as_str());
    }
}

/// Sends DMs round the six accounts, one at a time, until told to stop; records every answer.
async fn traffic(
    http: reqwest::Client,
    r: String,
    ledger: Arc<Mutex<Ledger>>,
    seen: Arc<Mutex<Vec<(&'static str, Posted)>>>,
    stop: Arc<AtomicBool>,
) {
    for account in ALL.iter().cycle() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let body = ledger.lock().unwrap().new_dm(account);
        let p = post_dm(&http, &r, &body).await;
        if p.status == 200 {
            ledger.lock().unwrap().acked(body["id"].as_str().unwrap());
        }
        seen.lock().unwrap().push((account, p));
    }
}

/// Without a router: what one daemon does with requests for accounts it does not own, and
/// with an agent socket opened for one account by another account's agent.
#[tokio::test]
async fn a_daemon_refuses_what_it_does_not_own_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let accounts = "[accounts.acme]\nname = \"Acme\"\n[accounts.globex]\nname = \"Globex\"";
    let d = Daemon::start_accounts(dir.path(), &sink.url, accounts).await;
    let token = crate::support::agent::add_agent(&d, "Alissa", &[], 1).await;
    let ws = |account: &str| {
        format!(
            "{}/v1/agents/ws?account={account}",
            d.base.replace("http://", "ws://")
        )
    };

    // Not this daemon's account: 421 before any upgrade, socket or admin call alike.
    match tokio_tungstenite::connect_async(ws("initech")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 421);
        }
        other => panic!("expected a 421, got {other:?}"),
    }
    for path in ["/v1/stats?account=initech", "/v1/agents?account=initech"] {
        let (status, v) = d.admin(path).await;
        assert_eq!(
            (status, v["error"].as_str(), v["account"].as_str()),
            (421, Some("misdirected"), Some("initech")),
            "{path}: {v}"
        );
    }
    let body = dm_body("initech", "m1", "u1", "where is my order?");
    let p = post_dm(&d.client, &d.base, &body).await;
    assert_eq!(
        (p.status, p.body["account"].as_str()),
        (421, Some("initech"))
    );

    // acme's agent on globex's socket: refused before it is seated, so never offered work.
    let (mut wrong, _) = tokio_tungstenite::connect_async(ws("globex"))
        .await
        .unwrap();
    send(&mut wrong, json!({"type": "auth", "token": token})).await;
    let frame = next(&mut wrong).await;
    assert_eq!(frame["code"], "wrong_account", "{frame}");
    assert_eq!(crate::support::agent::closed(&mut wrong).await, 4401);
    let (_, agents) = d.admin("/v1/agents").await;
    assert_eq!(agents["agents"][0]["presence"], "offline", "{agents}");

    // On its own account's socket, and on the plain path, the agent is welcome.
    for url in [ws("acme"), ws("acme").replace("?account=acme", "")] {
        let (mut ok, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        send(&mut ok, json!({"type": "auth", "token": token})).await;
        let welcome = next(&mut ok).await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
    }
    let (_, stats) = d.admin("/v1/stats").await;
    assert_eq!(stats["conversations"], 0, "{stats}");
}
