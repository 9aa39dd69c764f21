//! `GET /v1/channels`: each Twitter account's ability to send as the sink learned it from the
//! platform (ok, credentials refused, rate limited) and how many of its messages are held.

use crate::support::twitter::*;
use crate::support::*;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

const DM: &str = "/direct_messages/events/new.json";

/// A customer's direct message to user 42, signed as the platform signs deliveries.
async fn customer_says(d: &Daemon, event: &str, customer: &str, text: &str) {
    let body = json!({"for_user_id": "42", "direct_message_events": [{
        "type": "message_create", "id": event, "created_timestamp": "1764410400000",
        "message_create": {"target": {"recipient_id": "42"}, "sender_id": customer,
            "message_data": {"text": text}}}],
        "users": {customer: {"id": customer, "name": "Jo", "screen_name": "jo"}}})
    .to_string();
    assert_eq!(post_delivery(d, body.as_bytes()).await.0, 200);
}

/// Acme's line under the Twitter channel.
async fn acme(d: &Daemon) -> Value {
    let (status, body) = d.admin("/v1/channels").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["channels"][0]["channel"], "twitter", "{body}");
    body["channels"][0]["accounts"][0].clone()
}

#[tokio::test]
async fn refused_credentials_then_a_rate_limit_show_with_the_held_messages() {
    let fake = FakeTwitter::start().await;
    let (_dir, _out, mut d) = twitter_daemon(&fake).await;
    assert_eq!(
        acme(&d).await,
        json!({"account": "acme", "status": "ok", "held": 0})
    );

    let refusal = "Invalid or expired token.";
    fake.always_on("POST", DM, Answer::error(403, 89, refusal));
    customer_says(&d, "e1", "3805104374", "hello").await;
    customer_says(&d, "e2", "3805104375", "hi there").await;
    let line = eventually("acme's credentials to show as refused", || async {
        let line = acme(&d).await;
        (line["status"] == "credentials_refused" && line["held"].as_u64() >= Some(2))
            .then_some(line)
    })
    .await;
    assert_eq!(line["message"], refusal, "{line}");
    let since: baton::domain::Timestamp = line["since"].as_str().unwrap().parse().unwrap();
    assert!(since.0 > 1_700_000_000_000, "{line}");

    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    fake.always_on("POST", DM, Answer::rate_limited(reset));
    let line = eventually("acme to show as rate limited", || async {
        let line = acme(&d).await;
        (line["status"] == "rate_limited").then_some(line)
    })
    .await;
    let until: baton::domain::Timestamp = line["until"].as_str().unwrap().parse().unwrap();
    assert_eq!(until.0, reset * 1_000, "{line}");
    assert!(line["held"].as_u64() >= Some(2), "{line}");
    d.stop().await;
}

#[tokio::test]
async fn channels_need_the_admin_token_and_list_only_reporting_channels() {
    let (_dir, _out, d) = fresh().await;
    let res = d.get("/v1/channels").await;
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(
        d.admin("/v1/channels").await,
        (200, json!({"channels": []}))
    );
}
