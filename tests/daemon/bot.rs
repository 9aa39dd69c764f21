//! The bot answers, signs with the bot profile, escalates, and stays silent while queued.

use crate::support::agent::{accept, agent_with_token, next, sign_in};
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn dm_in_reply_out_signed_with_the_bot_profile() {
    let (_dir, mut sink, d) = fresh().await;

    assert_eq!(
        d.dm("e1", "u1", "where is my order?").await,
        (200, accepted())
    );
    let greeting = sink.next().await;
    assert_eq!(greeting["text"], "Hi Jo! I'm an automated assistant.");
    assert_eq!(greeting["sender"], "bot");
    assert_eq!(greeting["recipient"], "u1");
    assert_eq!(greeting["account"], "acme");
    assert_eq!(
        greeting["profile"],
        json!({"id": "bot-1", "name": "Test Assistant (bot)", "avatar": "https://example.com/bot.png"})
    );
    let reply = sink.next().await;
    assert_eq!(reply["text"], TRACK);
    assert_eq!(reply["profile"]["id"], "bot-1");
    assert_eq!(
        reply["quick_replies"],
        json!([{"label": "Talk to a person", "payload": "escalate"}])
    );
    assert_ne!(reply["id"], greeting["id"], "every message has its own id");
}

#[tokio::test]
async fn keyword_escalates_and_the_customer_is_told_their_place() {
    let (_dir, mut sink, d) = fresh().await;

    d.dm("a1", "alice", "I want a real   PERSON!").await;
    sink.assert_texts(&[
        "Hi Jo! I'm an automated assistant.",
        "Connecting you with a person on our team.",
        "A person will be with you soon. You are number 1 in line.",
    ])
    .await;

    d.dm("b1", "bob", "hello").await;
    assert_eq!(sink.next_text().await, "Hi Jo! I'm an automated assistant.");
    // Quick-reply payload, not text, picks the rule.
    let body = json!({"id": "b2", "account": "acme", "customer": {"id": "bob"}, "text": "Talk to a person", "payload": "escalate"});
    assert_eq!(d.post_raw(body.to_string().into_bytes(), &[]).await.0, 200);
    sink.assert_texts(&[
        "Connecting you with a person on our team.",
        "A person will be with you soon. You are number 2 in line.",
    ])
    .await;

    // Higher priority goes ahead of both.
    d.dm("c1", "carol", "this is unacceptable").await;
    sink.next().await; // greeting
    sink.assert_texts(&[
        "I'm sorry. A senior colleague will take this.",
        "A person will be with you soon. You are number 1 in line.",
    ])
    .await;

    let q = d.queue().await;
    let order: Vec<&str> = q.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(order, ["carol", "alice", "bob"]);
    assert_eq!(q[0].1, "frustrated");
}

#[tokio::test]
async fn repeated_misunderstanding_escalates_and_queued_customers_hear_no_bot() {
    let (_dir, mut sink, d) = fresh().await;

    d.dm("m1", "u1", "hello there").await;
    assert_eq!(sink.next_text().await, "Hi Jo! I'm an automated assistant.");
    d.dm("m2", "u1", "my flux capacitor is broken").await;
    assert_eq!(sink.next_text().await, "Sorry, I didn't catch that.");
    d.dm("m3", "u1", "the flux capacitor!!").await;
    sink.assert_texts(&[
        "I'm not getting this right; let me find you a person.",
        "A person will be with you soon. You are number 1 in line.",
    ])
    .await;
    d.assert_queue(&[("u1", "bot_stuck")]).await;

    // Queued: the message is kept for the agent, and the bot says nothing, even to a keyword.
    assert_eq!(
        d.dm("m4", "u1", "where is my order? agent!").await,
        (200, accepted())
    );
    let (status, conv) = d.admin("/v1/conversations/c0").await;
    assert_eq!(status, 200, "{conv}");
    assert_eq!(conv["conversation"]["state"], "queued");
    let transcript = conv["transcript"].as_array().unwrap();
    let last = transcript.last().unwrap();
    assert_eq!(
        (last["from"].as_str(), last["text"].as_str()),
        (Some("customer"), Some("where is my order? agent!"))
    );
    let bot_lines = transcript.iter().filter(|m| m["from"] == "bot").count();
    assert_eq!(bot_lines, 4);

    // Nor did anything go out: an agent taking the conversation is the next thing u1 hears.
    let token = agent_with_token(&d).await;
    let mut agent = sign_in(&d, &token).await;
    let offer = next(&mut agent).await;
    assert_eq!(offer["conversation"]["id"], "c0", "{offer}");
    accept(&mut agent, "c0").await;
    let hello = sink.next().await;
    assert_eq!(
        (hello["recipient"].as_str(), hello["sender"].as_str()),
        (Some("u1"), Some("agent")),
        "{hello}"
    );
}

#[tokio::test]
async fn close_then_a_new_episode_greets_again() {
    let (_dir, mut sink, d) = fresh().await;

    d.dm("x1", "u1", "hi").await;
    sink.next().await;
    d.dm("x2", "u1", "thanks, bye").await;
    assert_eq!(sink.next_text().await, "Glad to help. Bye!");
    let (_, conv) = d.admin("/v1/conversations/c0").await;
    assert_eq!(conv["conversation"]["state"], "closed");
    d.dm("x3", "u1", "hi again").await;
    assert_eq!(sink.next_text().await, "Hi Jo! I'm an automated assistant.");
    let (_, conv) = d.admin("/v1/conversations/c0").await;
    assert_eq!(
        (
            conv["conversation"]["state"].as_str(),
            conv["conversation"]["episode"].as_u64()
        ),
        (Some("bot"), Some(2))
    );
}

#[tokio::test]
async fn a_redelivered_event_is_taken_once_and_answered_once() {
    let (_dir, mut sink, d) = fresh().await;

    assert_eq!(
        d.dm("dup", "u1", "where's my package").await,
        (200, accepted())
    );
    assert_eq!(
        d.dm("dup", "u1", "where's my package").await,
        (200, json!({"status": "duplicate"}))
    );
    // Concurrent redeliveries of one new id: exactly one is accepted.
    let results = futures::future::join_all((0..8).map(|_| d.dm("dup2", "u2", "bye"))).await;
    let accepted_count = results
        .iter()
        .filter(|(_, v)| v["status"] == "accepted")
        .count();
    assert_eq!(accepted_count, 1, "{results:?}");
    assert!(results.iter().all(|(s, _)| *s == 200));

    let mut texts = Vec::new();
    for _ in 0..4 {
        texts.push(sink.next_text().await);
    }
    texts.sort();
    assert_eq!(
        texts,
        [
            "Glad to help. Bye!",
            "Hi Jo! I'm an automated assistant.",
            "Hi Jo! I'm an automated assistant.",
            TRACK,
        ]
    );
    // Nothing more for either: a second answer to u1 would come before this one, and one to
    // u2 before the greeting of the new episode its "bye" leaves room for.
    sink.assert_nothing_more_for(&d, "probe1", "u1").await;
    d.dm("probe2", "u2", "hi").await;
    let m = sink.next().await;
    assert_eq!(
        (m["recipient"].as_str(), m["text"].as_str()),
        (Some("u2"), Some("Hi Jo! I'm an automated assistant.")),
        "{m}"
    );
}

/// Someone of the brand answers in the platform's own app (`"from": "brand"`): the answer is
/// kept as theirs, never sent again, and the bot keeps quiet in that conversation.
#[tokio::test]
async fn an_answer_from_the_brand_outside_baton_is_kept_and_silences_the_bot() {
    let (_dir, mut sink, d) = fresh().await;
    assert_eq!(d.dm("e1", "u1", "hello").await, (200, accepted()));
    assert_eq!(sink.next().await["recipient"], "u1", "the greeting");

    let brand = json!({"id": "b1", "account": "acme", "customer": {"id": "u1"},
                       "text": "Sam from Acme here, looking into it.", "from": "brand"});
    let post = || d.post_raw(brand.to_string().into_bytes(), &[]);
    assert_eq!(post().await, (200, accepted()));
    assert_eq!(post().await, (200, json!({"status": "duplicate"})));

    // The customer's next message is kept, and no bot reply is written with it.
    assert_eq!(
        d.dm("e2", "u1", "where is my order?").await,
        (200, accepted())
    );
    let (_, view) = d.admin("/v1/conversations/c0").await;
    let lines: Vec<(&str, &str)> = view["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["from"].as_str().unwrap(), m["text"].as_str().unwrap()))
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(
        (lines[2], lines[3].0),
        (
            ("outside", "Sam from Acme here, looking into it."),
            "customer"
        ),
        "{lines:?}"
    );
    assert!(
        view["conversation"]["taken_outside_since"].is_string(),
        "{view}"
    );

    // The platform got the greeting only: the next thing it gets is another customer's.
    assert_eq!(d.dm("e3", "u2", "hello").await, (200, accepted()));
    let next = sink.next().await;
    assert_eq!(next["recipient"], "u2", "{next}");

    // A brand message is an answer, not a customer's choice, and needs a text.
    let bad = json!({"id": "b2", "account": "acme", "customer": {"id": "u1"}, "text": " ",
                     "from": "brand"});
    let (status, v) = d.post_raw(bad.to_string().into_bytes(), &[]).await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("needs a text"),
        "{v}"
    );
}
