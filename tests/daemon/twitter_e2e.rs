//! The Twitter/X channel end to end: a real daemon, the fake v1.1 API, signed deliveries posted
//! to the webhook. Custom Profiles are made on the platform by the keeper (an avatar upload,
//! then `custom_profiles/new`), every DM is signed with the one in force, and the ids survive a
//! restart; `profile sync` adopts and reports strays, and deletes them with prune.

use crate::support::agent::*;
use crate::support::twitter::*;
use crate::support::*;
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const CUSTOMER: &str = "3805104374";
const BRAND: &str = "42";
const BOT_PNG: &[u8] = b"\x89PNG bot avatar";
const ANN_PNG: &[u8] = b"\x89PNG ann avatar";
const NEW_PROFILE: &str = "/1.1/custom_profiles/new.json";
const UPLOAD: &str = "/1.1/media/upload.json";
const DESTROY: &str = "/1.1/custom_profiles/destroy.json";

/// Serves the avatars at `http://127.0.0.1:…/{bot,ann}.png`; anything else is a 404.
async fn avatars() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/bot.png", get(|| async { BOT_PNG }))
        .route("/ann.png", get(|| async { ANN_PNG }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// Account `acme` as Twitter user 42 against the fake, with the fixture rules but a bot profile
/// of `bot_name` and `bot_avatar` and no id (so the keeper makes it on the platform).
fn accounts(dir: &Path, fake: &FakeTwitter, bot_name: &str, bot_avatar: &str) -> String {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for f in ["00-bot.toml", "10-rules.toml"] {
        let text = std::fs::read_to_string(fixture_rules().join(f)).unwrap();
        let text = text.replace(
            r#"profile = { id = "bot-1", name = "Test Assistant (bot)", avatar = "https://example.com/bot.png" }"#,
            &format!(r#"profile = {{ name = "{bot_name}", avatar = "{bot_avatar}" }}"#),
        );
        std::fs::write(rules.join(f), text).unwrap();
    }
    let creds = dir.join("creds");
    std::fs::create_dir_all(&creds).unwrap();
    let secret = |name: &str, value: &str| -> String {
        let path = creds.join(name);
        std::fs::write(&path, format!("{value}\n")).unwrap();
        path.display().to_string()
    };
    let (token, token_secret) = (
        secret("access_token", ACCESS_TOKEN),
        secret("access_secret", ACCESS_SECRET),
    );
    let (key, key_secret) = (
        secret("consumer_key", CONSUMER_KEY),
        secret("consumer_secret", CONSUMER_SECRET),
    );
    format!(
        "[accounts.acme]\nname = \"Acme Mobile\"\nrules_dir = \"{rules}\"\n\
         [accounts.acme.twitter]\nuser_id = \"{BRAND}\"\n\
         access_token = {{ file = \"{token}\" }}\naccess_secret = {{ file = \"{token_secret}\" }}\n\
         [channels.twitter]\napi_base = \"{base}\"\nupload_base = \"{base}\"\n\
         consumer_key = {{ file = \"{key}\" }}\nconsumer_secret = {{ file = \"{key_secret}\" }}\n",
        rules = rules.display(),
        base = fake.base,
    )
}

/// A delivery of one customer DM, as the platform would post it.
fn delivery(event: &str, text: &str) -> Vec<u8> {
    json!({
        "for_user_id": BRAND,
        "direct_message_events": [{
            "type": "message_create", "id": event, "created_timestamp": "1767225700000",
            "message_create": {
                "target": {"recipient_id": BRAND}, "sender_id": CUSTOMER,
                "message_data": {"text": text}
            }
        }],
        "users": {CUSTOMER: {"id": CUSTOMER, "name": "Jo", "screen_name": "jo"}}
    })
    .to_string()
    .into_bytes()
}

async fn customer_says(d: &Daemon, event: &str, text: &str) {
    assert_eq!(post_delivery(d, &delivery(event, text)).await.0, 200);
}

/// The platform id the fake gave the profile made with `name` (the n-th call makes `1<n>`),
/// once the keeper has made it; checks the avatar was uploaded just before.
///
/// Patient: tests share one process, so sled's I/O threads too, and while another test writes a
/// large store a reverse scan here (the keeper reads the next turn number) was measured taking
/// 15 s. A daemon has its process to itself.
async fn made(fake: &FakeTwitter, name: &str, avatar: &[u8]) -> String {
    let what = format!("the profile '{name}' is made");
    within(Duration::from_secs(60), &what, || async {
        let calls = fake.calls();
        let i = calls
            .iter()
            .position(|c| c.path == NEW_PROFILE && c.body["custom_profile"]["name"] == name)?;
        let upload = &calls[i - 1];
        assert_eq!(upload.path, UPLOAD);
        assert_eq!(upload.body["media_data"], STANDARD.encode(avatar));
        assert!(calls[i].signed && upload.signed);
        assert_eq!(
            calls[i].body["custom_profile"]["avatar"]["media"]["id"],
            "7105"
        );
        Some(format!("1{:05}", i + 1))
    })
    .await
}

fn creations(fake: &FakeTwitter) -> usize {
    let calls = fake.calls();
    calls.iter().filter(|c| c.path == NEW_PROFILE).count()
}

/// The DMs after the first `seen`, once there are `n` more: (text, custom profile id).
async fn next_dms(fake: &FakeTwitter, seen: &mut usize, n: usize) -> Vec<(String, String)> {
    let dms = eventually(&format!("{n} more DMs after {seen}"), || async {
        let dms = fake.dms();
        (dms.len() >= *seen + n).then_some(dms)
    })
    .await;
    let new: Vec<(String, String)> = dms[*seen..*seen + n]
        .iter()
        .map(|c| {
            assert!(c.signed, "a valid OAuth signature: {c:?}");
            let m = &c.body["event"]["message_create"];
            assert_eq!(m["target"]["recipient_id"], CUSTOMER);
            let text = m["message_data"]["text"].as_str().unwrap().to_owned();
            let profile = m["custom_profile_id"].as_str().unwrap_or("").to_owned();
            (text, profile)
        })
        .collect();
    *seen += n;
    new
}

async fn add_ann(d: &Daemon, avatar_base: &str) -> String {
    let (status, v) = d
        .admin_post(
            "/v1/agents",
            json!({"account": "acme", "name": "Ann", "profile_name": "Ann, Acme",
                   "avatar": format!("{avatar_base}/ann.png"), "skills": [], "capacity": 1}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    v["token"].as_str().unwrap().to_owned()
}

/// A daemon for account `acme` (Twitter user 42) against a fresh fake API, with the avatars
/// served locally and a bot profile the keeper has to make.
struct World {
    dir: tempfile::TempDir,
    fake: FakeTwitter,
    avatar_base: String,
    out: FakeSink,
    d: Daemon,
}

impl World {
    async fn start() -> World {
        let dir = tempfile::tempdir().unwrap();
        let (fake, avatar_base, out) = (
            FakeTwitter::start().await,
            avatars().await,
            FakeSink::start().await,
        );
        let bot_avatar = format!("{avatar_base}/bot.png");
        let accounts = accounts(dir.path(), &fake, "Acme Helper (bot)", &bot_avatar);
        let d = Daemon::start_accounts(&dir.path().join("data"), &out.url, &accounts).await;
        World {
            dir,
            fake,
            avatar_base,
            out,
            d,
        }
    }
}

#[tokio::test]
async fn a_dm_goes_through_the_bot_an_agent_and_back_with_the_profile_in_force() {
    let World {
        dir: _dir,
        fake,
        avatar_base,
        out: _out,
        d,
    } = World::start().await;
    let bot = made(&fake, "Acme Helper (bot)", BOT_PNG).await;
    let mut seen = 0;

    // In: the bot greets and answers, signed with its platform profile.
    customer_says(&d, "1600000000000000001", "where is my order").await;
    let replies = next_dms(&fake, &mut seen, 2).await;
    assert!(replies.iter().all(|(_, p)| *p == bot), "{replies:?}");
    assert!(replies[0].0.starts_with("Hi Jo!"), "{replies:?}");

    // An agent is added: the keeper makes the agent's profile.
    let token = add_ann(&d, &avatar_base).await;
    let ann = made(&fake, "Ann, Acme", ANN_PNG).await;
    assert_ne!(ann, bot);
    let mut agent = sign_in(&d, &token).await;

    // Escalate: queued (the bot says so), offered, accepted: the announcement is the agent's.
    customer_says(&d, "1600000000000000002", "I want a real person").await;
    let offer = next(&mut agent).await;
    assert_eq!(offer["type"], "offer", "{offer}");
    let conv = offer["conversation"]["id"].as_str().unwrap().to_owned();
    accept(&mut agent, &conv).await;
    let mut before = Vec::new();
    let hello = loop {
        let dm = next_dms(&fake, &mut seen, 1).await.remove(0);
        if dm.1 != bot {
            break dm;
        }
        before.push(dm);
    };
    assert!(!before.is_empty(), "the bot said it was finding a person");
    assert_eq!(hello.1, ann, "{hello:?}");
    assert!(hello.0.starts_with("Hi, I'm Ann"), "{hello:?}");
    send(&mut agent, json!({"type": "send", "conversation_id": conv, "text": "Checking now.", "client_id": "k1"})).await;
    assert_eq!(
        next_dms(&fake, &mut seen, 1).await,
        [("Checking now.".to_owned(), ann.clone())]
    );

    // Release: the bot's profile again.
    act(&mut agent, "release", &conv).await;
    let back = next_dms(&fake, &mut seen, 1).await;
    assert_eq!(back[0].1, bot, "{back:?}");

    // The same event delivered again: nothing new is sent.
    customer_says(&d, "1600000000000000002", "I want a real person").await;
    customer_says(&d, "1600000000000000003", "where is my order").await;
    let answer = next_dms(&fake, &mut seen, 1).await;
    assert_eq!(answer[0].1, bot);
    // A conversation's messages go out in order: anything owed to the redelivery would have
    // come before the answer to the new event.
    assert_eq!(fake.dms().len(), seen, "only the answer to the new event");
    assert_eq!(creations(&fake), 2, "one profile each, never per message");
}

#[tokio::test]
async fn a_dm_the_platform_refuses_reaches_its_agent_as_a_failed_delivery() {
    let World {
        dir: _dir,
        fake,
        avatar_base,
        out: _out,
        d,
    } = World::start().await;
    made(&fake, "Acme Helper (bot)", BOT_PNG).await;
    let token = add_ann(&d, &avatar_base).await;
    made(&fake, "Ann, Acme", ANN_PNG).await;
    let mut agent = sign_in(&d, &token).await;
    customer_says(&d, "1600000000000000011", "I want a real person").await;
    let offer = next(&mut agent).await;
    let conv = offer["conversation"]["id"].as_str().unwrap().to_owned();
    accept(&mut agent, &conv).await;
    // The announcement goes out; then the customer has closed their DMs to the brand.
    let mut seen = 0;
    eventually("the announcement is sent", || async {
        let dms = fake.dms();
        let last = dms.last()?;
        let text = last.body["event"]["message_create"]["message_data"]["text"].as_str()?;
        text.starts_with("Hi, I'm Ann").then_some(())
    })
    .await;
    seen += fake.dms().len();
    fake.push_on(
        "POST",
        "direct_messages/events/new.json",
        Answer::error(
            403,
            150,
            "You cannot send messages to users who are not following you.",
        ),
    );
    let message = json!({"type": "send", "conversation_id": conv, "text": "Are you there?", "client_id": "k9"});
    send(&mut agent, message).await;
    let failed = loop {
        let frame = next_any(&mut agent).await;
        if frame["type"] == "delivery" && frame["status"] == "failed" {
            break frame;
        }
    };
    let id = failed["message_id"].as_str().unwrap();
    assert!(id.starts_with(&format!("{conv}-")), "{failed}");
    let reason = failed["reason"].as_str().unwrap();
    assert!(
        reason.contains("150") && reason.contains("not following"),
        "{reason}"
    );
    assert_eq!(
        fake.dms().len(),
        seen + 1,
        "tried once, not retried: {seen}"
    );
}

#[tokio::test]
async fn profile_ids_survive_a_restart_and_a_changed_bot_profile_replaces_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, avatar_base, out) = (
        FakeTwitter::start().await,
        avatars().await,
        FakeSink::start().await,
    );
    let data = dir.path().join("data");
    let bot_avatar = format!("{avatar_base}/bot.png");
    let first = accounts(dir.path(), &fake, "Acme Helper (bot)", &bot_avatar);
    let mut d = Daemon::start_accounts(&data, &out.url, &first).await;
    let bot = made(&fake, "Acme Helper (bot)", BOT_PNG).await;
    add_ann(&d, &avatar_base).await;
    made(&fake, "Ann, Acme", ANN_PNG).await;
    d.stop().await;

    // The same profiles after a restart: nothing is made again, and the ids are used.
    let mut d = Daemon::start_accounts(&data, &out.url, &first).await;
    let mut seen = 0;
    customer_says(&d, "1600000000000000011", "where is my order").await;
    let replies = next_dms(&fake, &mut seen, 2).await;
    assert!(replies.iter().all(|(_, p)| *p == bot), "{replies:?}");
    // A new agent after the restart: once the keeper has made its profile it has been through
    // every profile at least once, and made none of the others again.
    let (status, v) = d
        .admin_post(
            "/v1/agents",
            json!({"account": "acme", "name": "Bo", "profile_name": "Bo, Acme",
                   "avatar": format!("{avatar_base}/ann.png"), "skills": [], "capacity": 1}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    made(&fake, "Bo, Acme", ANN_PNG).await;
    assert_eq!(creations(&fake), 3, "only Bo's profile is new");
    d.stop().await;

    // The rules rename the bot: a new profile, new messages signed with it, and the old one
    // deleted once the outbox is past every message written before the switch.
    let renamed = accounts(dir.path(), &fake, "Acme Assistant (bot)", &bot_avatar);
    let d = Daemon::start_accounts(&data, &out.url, &renamed).await;
    let new_bot = made(&fake, "Acme Assistant (bot)", BOT_PNG).await;
    assert_ne!(new_bot, bot);
    customer_says(&d, "1600000000000000012", "where is my order").await;
    let answer = next_dms(&fake, &mut seen, 1).await;
    assert_eq!(answer[0].1, new_bot, "{answer:?}");
    eventually("the replaced profile is deleted", || async {
        let calls = fake.calls();
        calls
            .iter()
            .find(|c| c.path == DESTROY)
            .map(|c| assert_eq!(c.query, [("id".to_owned(), bot.clone())]))
    })
    .await;
    assert_eq!(creations(&fake), 4);
}

async fn sync(d: &Daemon, prune: bool) -> Value {
    let (status, v) = d
        .admin_post(&format!("/v1/profiles/sync?prune={prune}"), json!({}))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["accounts"][0]["account"], "acme", "{v}");
    v["accounts"][0].clone()
}

fn listing(profiles: &[(&str, &str)]) -> Answer {
    let list: Vec<Value> = profiles
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name, "avatar": {"media": {"url": "https://pbs.example/x.jpg"}}}))
        .collect();
    Answer {
        status: 200,
        headers: vec![],
        body: json!({"custom_profiles": list}),
    }
}

#[tokio::test]
async fn sync_adopts_ours_reports_strays_and_prune_deletes_them() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, avatar_base, out) = (
        FakeTwitter::start().await,
        avatars().await,
        FakeSink::start().await,
    );
    // An avatar the keeper cannot fetch: it never gets as far as the platform.
    let missing = format!("{avatar_base}/missing.png");
    let accounts = accounts(dir.path(), &fake, "Acme Helper (bot)", &missing);
    let d = Daemon::start_accounts(&dir.path().join("data"), &out.url, &accounts).await;
    let (status, v) = d
        .admin_post("/v1/profiles/sync?prune=maybe", json!({}))
        .await;
    assert_eq!((status, v["error"].as_str()), (400, Some("bad_request")));

    // The platform has our bot (made before Baton knew it) and a stray.
    fake.push(listing(&[
        ("200001", "Acme Helper (bot)"),
        ("200002", "Old promo"),
    ]));
    let report = sync(&d, false).await;
    assert_eq!(
        report["adopted"],
        json!([{"profile": "acme-bot", "platform_id": "200001", "name": "Acme Helper (bot)"}])
    );
    assert_eq!(
        report["unknown"],
        json!([{"platform_id": "200002", "name": "Old promo"}])
    );
    assert_eq!(
        (report["deleted"].clone(), report["missing"].clone()),
        (json!([]), json!([]))
    );
    let mut seen = 0;
    customer_says(&d, "1600000000000000021", "where is my order").await;
    let replies = next_dms(&fake, &mut seen, 2).await;
    assert!(replies.iter().all(|(_, p)| p == "200001"), "{replies:?}");

    // `baton profile sync` asks the same of the daemon: the stray is reported, not deleted.
    fake.push(listing(&[
        ("200001", "Acme Helper (bot)"),
        ("200002", "Old promo"),
    ]));
    let base = d.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        let args = ["profile", "sync", "--config", "/nonexistent/baton.toml"];
        std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(args)
            .args(["--url", &base, "--token", ADMIN])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text,
        "acme:\n  stray\t200002\t\"Old promo\"\tunknown to Baton\n\
         (nothing deleted: --prune deletes strays)\n"
    );

    // Later the bot's profile is gone from the platform and the stray is still there: prune
    // deletes the stray and forgets ours (to be made again).
    fake.push(listing(&[("200002", "Old promo")]));
    let report = sync(&d, true).await;
    assert_eq!(report["deleted"], json!(["200002"]));
    assert_eq!(
        report["missing"],
        json!([{"profile": "acme-bot", "platform_id": "200001", "forgotten": true}])
    );
    let calls = fake.calls();
    let destroyed: Vec<_> = calls.iter().filter(|c| c.path == DESTROY).collect();
    assert_eq!(destroyed.len(), 1);
    assert_eq!(destroyed[0].query, [("id".to_owned(), "200002".to_owned())]);
    assert_eq!(creations(&fake), 0);
}
