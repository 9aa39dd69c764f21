//! The Twitter/X webhook in: the CRC challenge, signed deliveries, echoes, redeliveries and
//! deliveries for an account Baton does not serve.

use crate::support::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::path::PathBuf;

const SECRET: &str = "consumer-secret-for-tests";
const PATH: &str = "/v1/channels/twitter/webhook";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/twitter");
    std::fs::read(path.join(name)).unwrap()
}

/// `sha256=<base64 HMAC-SHA256(secret, data)>`, computed here rather than by Baton.
fn hmac_b64(secret: &str, data: &[u8]) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(data);
    format!("sha256={}", STANDARD.encode(m.finalize().into_bytes()))
}

/// A daemon whose account `acme` is the Twitter user 3001, credentials read from files.
async fn twitter_daemon() -> (tempfile::TempDir, FakeSink, Daemon) {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds");
    std::fs::create_dir_all(&creds).unwrap();
    let secret = |name: &str, value: &str| -> String {
        let path = creds.join(name);
        std::fs::write(&path, format!("{value}\n")).unwrap();
        path.display().to_string()
    };
    let accounts = format!(
        "[accounts.acme]\nname = \"Acme Mobile\"\n\
         [accounts.acme.twitter]\nuser_id = \"3001\"\n\
         access_token = {{ file = \"{}\" }}\naccess_secret = {{ file = \"{}\" }}\n\
         [channels.twitter]\napi_base = \"http://127.0.0.1:9\"\nupload_base = \"http://127.0.0.1:9\"\n\
         consumer_key = {{ file = \"{}\" }}\nconsumer_secret = {{ file = \"{}\" }}\n",
        secret("access_token", "3001-access-token"),
        secret("access_secret", "access-secret"),
        secret("consumer_key", "consumer-key"),
        secret("consumer_secret", SECRET),
    );
    let sink = FakeSink::start().await;
    let d = Daemon::start_accounts(&dir.path().join("data"), &sink.url, &accounts).await;
    (dir, sink, d)
}

async fn deliver(d: &Daemon, body: &[u8], signature: Option<&str>) -> (u16, Value) {
    let mut req = d
        .client
        .post(format!("{}{PATH}", d.base))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(sig) = signature {
        req = req.header("x-twitter-webhooks-signature", sig);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn signed(d: &Daemon, body: &[u8]) -> (u16, Value) {
    deliver(d, body, Some(&hmac_b64(SECRET, body))).await
}

async fn conversations(d: &Daemon) -> u64 {
    let (status, stats) = d.admin("/v1/stats").await;
    assert_eq!(status, 200, "{stats}");
    stats["conversations"].as_u64().unwrap()
}

async fn get_json(d: &Daemon, path: &str) -> (u16, Value) {
    let res = d.get(path).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn crc_answers_with_the_hmac_of_the_token() {
    let (_dir, _sink, d) = twitter_daemon().await;
    let (status, body) = get_json(&d, &format!("{PATH}?crc_token=challenge%2B123")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({ "response_token": hmac_b64(SECRET, b"challenge+123") })
    );
    let (status, body) = get_json(&d, PATH).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));
    let (status, body) = get_json(&d, &format!("{PATH}?crc_token=")).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));
}

#[tokio::test]
async fn without_the_channel_the_webhook_is_not_there() {
    let (_dir, _sink, d) = fresh().await;
    let (status, body) = get_json(&d, &format!("{PATH}?crc_token=x")).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let body = fixture("two_customers_and_echoes.json");
    let (status, reply) = deliver(&d, &body, Some(&hmac_b64(SECRET, &body))).await;
    assert_eq!((status, reply["error"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn unsigned_or_badly_signed_deliveries_are_refused_and_not_stored() {
    let (_dir, _sink, d) = twitter_daemon().await;
    let body = fixture("two_customers_and_echoes.json");
    let other = hmac_b64("another-secret", &body);
    let truncated = hmac_b64(SECRET, &body[..body.len() - 1]);
    for sig in [
        None,
        Some(""),
        Some("sha256=garbage"),
        Some(&other),
        Some(&truncated),
    ] {
        let (status, reply) = deliver(&d, &body, sig).await;
        assert_eq!(
            (status, reply["error"].as_str()),
            (401, Some("unauthorized")),
            "{sig:?}"
        );
    }
    assert_eq!(conversations(&d).await, 0);
}

fn transcript(view: &Value) -> Vec<(String, String)> {
    view["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["from"].as_str().unwrap().to_owned(),
                m["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn two_customers_get_conversations_and_an_echo_is_never_a_customer_message() {
    let (_dir, _sink, d) = twitter_daemon().await;
    let body = fixture("two_customers_and_echoes.json");
    let (status, reply) = signed(&d, &body).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply,
        json!({ "status": "ok", "accepted": 2, "duplicates": 0 })
    );
    assert_eq!(conversations(&d).await, 2);

    let mut seen = Vec::new();
    for id in ["c0", "c1"] {
        let (status, view) = d.admin(&format!("/v1/conversations/{id}")).await;
        assert_eq!(status, 200, "{view}");
        let customer = &view["conversation"]["customer"];
        assert_eq!(customer["channel"], "twitter", "{view}");
        let lines = transcript(&view);
        // This daemon names no app of its own and sent neither echo: each is a person's
        // answer from outside, kept once in its customer's transcript as theirs, never as the
        // customer's.
        let echoes = [
            ("4001", "Sent from the phone app by someone on the team"),
            ("4002", "Hi! I'm an automated assistant."),
        ];
        let kept: Vec<(&str, &str)> = lines
            .iter()
            .filter(|(_, text)| echoes.iter().any(|(_, e)| e == text))
            .map(|(from, text)| (from.as_str(), text.as_str()))
            .collect();
        let to = customer["id"].as_str().unwrap();
        let want: Vec<(&str, &str)> = echoes
            .iter()
            .filter(|(c, _)| *c == to)
            .map(|(_, e)| ("outside", *e))
            .collect();
        assert_eq!(kept, want, "{lines:?}");
        let from_customer: Vec<&str> = lines
            .iter()
            .filter(|(from, _)| from == "customer")
            .map(|(_, t)| t.as_str())
            .collect();
        assert!(
            lines.iter().any(|(from, _)| from == "bot"),
            "the bot answered: {lines:?}"
        );
        seen.push((
            customer["id"].as_str().unwrap().to_owned(),
            customer["name"].as_str().unwrap_or_default().to_owned(),
            from_customer.join("|"),
            lines[1].1.clone(),
        ));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                "4001".to_owned(),
                "Alice Example".to_owned(),
                "where is my order?".to_owned(),
                "Hi Alice Example! I'm an automated assistant.".to_owned()
            ),
            (
                "4002".to_owned(),
                "bob_b".to_owned(),
                "hello there".to_owned(),
                "Hi bob_b! I'm an automated assistant.".to_owned()
            ),
        ]
    );
    let (_, before) = d.admin("/v1/conversations/c0").await;

    // The platform delivers again: nothing new.
    let (status, reply) = signed(&d, &body).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply,
        json!({ "status": "ok", "accepted": 0, "duplicates": 2 })
    );
    assert_eq!(conversations(&d).await, 2);
    let (_, after) = d.admin("/v1/conversations/c0").await;
    assert_eq!(transcript(&before), transcript(&after));
}

#[tokio::test]
async fn a_delivery_for_a_user_id_no_account_here_has_is_misdirected_and_not_stored() {
    let (_dir, _sink, d) = twitter_daemon().await;
    let text = String::from_utf8(fixture("two_customers_and_echoes.json")).unwrap();
    let body = text.replace("3001", "9999").into_bytes();
    let (status, reply) = signed(&d, &body).await;
    assert_eq!(
        (
            status,
            reply["error"].as_str(),
            reply["for_user_id"].as_str()
        ),
        (421, Some("misdirected"), Some("9999")),
        "{reply}"
    );
    assert_eq!(conversations(&d).await, 0);
}

#[tokio::test]
async fn malformed_deliveries_are_a_json_400() {
    let (_dir, _sink, d) = twitter_daemon().await;
    for name in ["malformed.json", "missing_sender.json"] {
        let (status, reply) = signed(&d, &fixture(name)).await;
        assert_eq!(
            (status, reply["error"].as_str()),
            (400, Some("bad_request")),
            "{name}: {reply}"
        );
    }
    assert_eq!(conversations(&d).await, 0);
}

#[tokio::test]
async fn quick_reply_choices_and_media_reach_the_transcript() {
    let (_dir, _sink, d) = twitter_daemon().await;
    let (status, reply) = signed(&d, &fixture("quick_reply_and_attachment.json")).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["accepted"], 3, "{reply}");
    // The quick reply's metadata, not its label, picked the rule.
    d.assert_queue(&[("4001", "customer_request")]).await;
    let (_, view) = d.admin("/v1/conversations/c0").await;
    let from_customer: Vec<&Value> = view["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["from"] == "customer")
        .collect();
    assert_eq!(from_customer.len(), 3, "{view}");
    assert_eq!(from_customer[0]["payload"], "escalate");
    assert_eq!(from_customer[0].get("attachments"), None);
    assert_eq!(
        from_customer[1]["attachments"],
        json!([{
            "kind": "photo",
            "url": "https://ton.twitter.com/1.1/ton/data/dm/1600000000000000012/1600000000000000099/xyz.jpg"
        }])
    );
    assert_eq!(from_customer[2]["text"], "");
    assert_eq!(from_customer[2]["attachments"][0]["kind"], "animated_gif");
}
