//! Twitter/X DMs out: the channel's sink against a fake of the v1.1 API over real sockets, and a
//! daemon that starts with `[channels.twitter]` pointed at it.

use crate::support::twitter::*;
use crate::support::*;
use baton::channels::twitter::api::Client;
use baton::channels::twitter::outbound::{ProfileDirectory, TwitterSink};
use baton::config::{TwitterAccount, TwitterConfig};
use baton::domain::{AccountId, Author, Channel, ConversationId, Customer, CustomerId};
use baton::domain::{Message, MessageId, Profile, QuickReply, Timestamp};
use baton::outbox::{Delivery, Sink};
use baton::store::Outbound;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CUSTOMER: &str = "3805104374";

fn app(fake: &FakeTwitter, consumer_secret: &str) -> TwitterConfig {
    TwitterConfig {
        api_base: fake.base.clone(),
        upload_base: fake.base.clone(),
        environment: "prod".into(),
        consumer_key: CONSUMER_KEY.into(),
        consumer_secret: consumer_secret.into(),
        app_id: None,
    }
}

fn account() -> TwitterAccount {
    TwitterAccount {
        user_id: "42".into(),
        access_token: ACCESS_TOKEN.into(),
        access_secret: ACCESS_SECRET.into(),
    }
}

fn client(fake: &FakeTwitter) -> Client {
    Client::new(
        &app(fake, CONSUMER_SECRET),
        &account(),
        Duration::from_secs(5),
    )
    .unwrap()
}

/// A sink for account `acme` whose bot profile is platform profile 100001 and whose agent
/// `ann` is 100002; agent `bob` has no platform profile yet.
fn sink(fake: &FakeTwitter) -> TwitterSink {
    let profiles = ProfileDirectory::default();
    profiles.set(AccountId::from("acme"), "acme-bot".into(), "100001".into());
    profiles.set(AccountId::from("acme"), "ann".into(), "100002".into());
    TwitterSink::new(vec![(AccountId::from("acme"), client(fake))], profiles)
}

fn profile(id: &str) -> Profile {
    Profile {
        id: id.into(),
        name: format!("{id} at Acme"),
        avatar: "https://example.com/a.png".into(),
    }
}

fn message(conversation: u64, seq: u32, from: Author, who: &str, text: &str) -> Message {
    Message {
        id: MessageId {
            conversation: ConversationId(conversation),
            seq: seq.into(),
        },
        from,
        text: text.into(),
        payload: None,
        quick_replies: vec![],
        profile: Some(profile(who)),
        at: Timestamp(1_764_410_400_000),
        epoch: 0,
        attachments: Vec::new(),
    }
}

fn outbound(messages: Vec<Message>) -> Outbound {
    Outbound {
        seq: 1,
        account: AccountId::from("acme"),
        to: Customer {
            channel: Channel::Twitter,
            id: CustomerId::from(CUSTOMER),
            name: None,
        },
        pending: messages,
        skipped: 0,
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn bot_then_agent_messages_go_out_signed_with_their_profiles() {
    let fake = FakeTwitter::start().await;
    let sink = sink(&fake);
    let mut bot = message(1, 1, Author::Bot, "acme-bot", "Hi! How can I help?");
    bot.quick_replies = vec![
        QuickReply {
            label: "Talk to a person".into(),
            payload: "escalate".into(),
        },
        QuickReply {
            label: "Track an order".into(),
            payload: "track".into(),
        },
    ];
    let agent = message(
        1,
        2,
        Author::Agent,
        "ann",
        "Ann here, I'll take it from here.",
    );
    let turn = outbound(vec![bot.clone(), agent.clone()]);
    assert_eq!(sink.send(&turn, &bot).await, Delivery::Delivered);
    assert_eq!(sink.send(&turn, &agent).await, Delivery::Delivered);

    let dms = fake.dms();
    assert_eq!(dms.len(), 2);
    assert!(
        dms.iter().all(|c| c.signed && c.method == "POST"),
        "{dms:?}"
    );
    assert_eq!(
        dms[0].body,
        json!({"event": {"type": "message_create", "message_create": {
            "target": {"recipient_id": CUSTOMER},
            "message_data": {"text": "Hi! How can I help?", "quick_reply": {"type": "options", "options": [
                {"label": "Talk to a person", "metadata": "escalate"},
                {"label": "Track an order", "metadata": "track"}]}},
            "custom_profile_id": "100001"}}})
    );
    assert_eq!(
        dms[1].body,
        json!({"event": {"type": "message_create", "message_create": {
            "target": {"recipient_id": CUSTOMER},
            "message_data": {"text": "Ann here, I'll take it from here."},
            "custom_profile_id": "100002"}}})
    );
}

#[tokio::test]
async fn a_profile_without_a_platform_id_is_held_not_sent() {
    let fake = FakeTwitter::start().await;
    let sink = sink(&fake);
    let m = message(2, 1, Author::Agent, "bob", "Bob here.");
    match sink.send(&outbound(vec![m.clone()]), &m).await {
        Delivery::Retry(why) => assert!(why.contains("held") && why.contains("'bob'"), "{why}"),
        other => panic!("expected a hold, got {other:?}"),
    }
    assert!(
        fake.calls().is_empty(),
        "nothing may reach the platform unsigned"
    );
}

#[tokio::test]
async fn a_rate_limit_holds_the_account_until_its_reset_then_sends_in_order() {
    let fake = FakeTwitter::start().await;
    let sink = sink(&fake);
    fake.push(Answer::rate_limited(now_secs() + 1));
    let first = message(3, 1, Author::Bot, "acme-bot", "first");
    let second = message(4, 1, Author::Bot, "acme-bot", "second");
    let (t1, t2) = (
        outbound(vec![first.clone()]),
        outbound(vec![second.clone()]),
    );

    assert!(
        matches!(sink.send(&t1, &first).await, Delivery::Retry(why) if why.contains("rate limited"))
    );
    // Before the reset nothing more goes to the platform, for any conversation of the account.
    assert!(
        matches!(sink.send(&t2, &second).await, Delivery::Retry(why) if why.contains("rate limited"))
    );
    assert_eq!(fake.dms().len(), 1);

    let delivered = eventually("the reset to pass", || async {
        (sink.send(&t1, &first).await == Delivery::Delivered).then_some(())
    });
    delivered.await;
    assert_eq!(sink.send(&t2, &second).await, Delivery::Delivered);
    let texts: Vec<String> = fake
        .dms()
        .iter()
        .map(|c| {
            c.body["event"]["message_create"]["message_data"]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(texts, ["first", "first", "second"]);
}

#[tokio::test]
async fn refusals_fail_retry_or_hold_as_they_should() {
    let fake = FakeTwitter::start().await;
    let sink = sink(&fake);
    let m = message(5, 1, Author::Agent, "ann", "Hello");
    let turn = outbound(vec![m.clone()]);

    fake.push(Answer::error(
        403,
        150,
        "You cannot send messages to users who are not following you.",
    ));
    match sink.send(&turn, &m).await {
        Delivery::Failed(why) => assert!(why.contains("code 150"), "{why}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    fake.push(Answer::error(
        403,
        151,
        "There was an error sending your message.",
    ));
    assert!(
        matches!(sink.send(&turn, &m).await, Delivery::Failed(why) if why.contains("code 151"))
    );
    fake.push(Answer::status(503));
    assert!(matches!(sink.send(&turn, &m).await, Delivery::Retry(why) if why.contains("503")));
    fake.push(Answer::error(403, 89, "Invalid or expired token."));
    assert!(
        matches!(sink.send(&turn, &m).await, Delivery::Retry(why) if why.contains("credentials"))
    );
    assert_eq!(fake.dms().len(), 4);
}

#[tokio::test]
async fn the_fake_refuses_a_wrong_signature_and_the_sink_holds() {
    let fake = FakeTwitter::start().await;
    let wrong = Client::new(
        &app(&fake, "not the secret"),
        &account(),
        Duration::from_secs(5),
    )
    .unwrap();
    let profiles = ProfileDirectory::default();
    profiles.set(AccountId::from("acme"), "acme-bot".into(), "100001".into());
    let sink = TwitterSink::new(vec![(AccountId::from("acme"), wrong)], profiles);
    let m = message(6, 1, Author::Bot, "acme-bot", "Hi");
    assert!(
        matches!(sink.send(&outbound(vec![m.clone()]), &m).await, Delivery::Retry(why) if why.contains("credentials"))
    );
    assert!(!fake.calls()[0].signed);
}

#[tokio::test]
async fn text_over_the_limit_fails_without_a_call() {
    let fake = FakeTwitter::start().await;
    let sink = sink(&fake);
    let m = message(7, 1, Author::Agent, "ann", &"a".repeat(10_001));
    assert!(
        matches!(sink.send(&outbound(vec![m.clone()]), &m).await, Delivery::Failed(why) if why.contains("10001"))
    );
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn the_client_covers_profiles_media_and_setup() {
    let fake = FakeTwitter::start().await;
    let c = client(&fake);
    let media = c.upload_media(b"\x89PNG not really").await.unwrap();
    let made = c
        .create_custom_profile("Ann at Acme", &media)
        .await
        .unwrap();
    assert_eq!(made.name, "Ann at Acme");
    assert!(c.list_custom_profiles().await.unwrap().is_empty());
    c.destroy_custom_profile(&made.id).await.unwrap();
    fake.push(Answer {
        status: 200,
        headers: vec![],
        body: json!([]),
    });
    assert!(c.webhooks().await.unwrap().is_empty());
    // No subscription: the fake answers 404 to it.
    assert!(!c.subscribed().await.unwrap());
    let calls = fake.calls();
    assert!(calls.iter().all(|c| c.signed), "{calls:?}");
    assert_eq!(calls[0].body["media_data"], "iVBORyBub3QgcmVhbGx5");
    assert_eq!(
        calls[1].body,
        json!({"custom_profile": {"name": "Ann at Acme", "avatar": {"media": {"id": "7105"}}}})
    );
    assert_eq!(calls[3].query, [("id".to_owned(), made.id.clone())]);
    assert_eq!(
        calls[4].path,
        "/1.1/account_activity/all/prod/webhooks.json"
    );
}

#[tokio::test]
async fn a_daemon_starts_with_the_twitter_channel_configured() {
    let fake = FakeTwitter::start().await;
    let (_dir, _out, mut d) = twitter_daemon(&fake).await;
    assert_eq!(d.get("/healthz").await.status().as_u16(), 200);
    d.stop().await;
}
