//! The try page's read of a customer's conversation: off unless `[console] try_page`, no token,
//! and across a handoff it shows who answered under which name.

use crate::support::agent::{accept, act, agent_with_token, next, sign_in};
use crate::support::*;
use serde_json::Value;

const ON: &str = "[console]\ntry_page = true";

async fn try_messages(d: &Daemon, customer: &str, after: Option<&str>) -> (u16, Value) {
    let mut path = format!("/v1/try/acme/{customer}/messages");
    if let Some(a) = after {
        path.push_str(&format!("?after={a}"));
    }
    let res = d.get(&path).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

/// (from, profile name) of each message.
fn senders(v: &Value) -> Vec<(String, String)> {
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let name = m["profile"]["name"].as_str().unwrap_or("");
            (m["from"].as_str().unwrap().to_owned(), name.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn the_try_endpoint_is_not_there_unless_the_try_page_is_on() {
    let (_dir, _sink, d) = fresh().await;
    let (status, body) = try_messages(&d, "u1", None).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn a_customer_sees_the_bot_then_the_person_then_the_bot_with_their_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let d = Daemon::start_with(dir.path(), &sink.url, ON, |_| None).await;

    // Nothing written yet: an empty conversation, not an error the page would show.
    let (status, empty) = try_messages(&d, "u1", None).await;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(empty["conversation"], Value::Null);
    assert_eq!(empty["messages"], serde_json::json!([]));
    let res = d.get("/v1/try/nobody/u1/messages").await;
    assert_eq!(res.status().as_u16(), 421);
    let res = d.get("/v1/try/acme/u1/messages?after=nonsense").await;
    assert_eq!(res.status().as_u16(), 400);

    let token = agent_with_token(&d).await;
    let mut agent = sign_in(&d, &token).await;
    d.dm("t1", "u1", "I want a real person").await;
    sink.skip(3).await;
    let offer = next(&mut agent).await;
    let conv = offer["conversation"]["id"].as_str().unwrap().to_owned();
    let (_, queued) = try_messages(&d, "u1", None).await;
    assert_eq!(queued["conversation"].as_str(), Some(conv.as_str()));
    assert_eq!(queued["answering"], "queue");
    let bot = "Test Assistant (bot)".to_owned();
    let customer = ("customer".to_owned(), String::new());
    assert_eq!(
        senders(&queued),
        vec![
            customer.clone(),
            ("bot".into(), bot.clone()),
            ("bot".into(), bot.clone()),
            ("bot".into(), bot.clone()),
        ]
    );
    assert_eq!(queued["messages"][0]["text"], "I want a real person");
    let seen = queued["messages"][3]["id"].as_str().unwrap().to_owned();

    accept(&mut agent, &conv).await;
    sink.skip(1).await;
    let (_, held) = try_messages(&d, "u1", Some(&seen)).await;
    assert_eq!(held["answering"], "person");
    assert_eq!(
        senders(&held),
        vec![("agent".into(), "Alissa, Acme".into())],
        "only what came after the cursor: {held}"
    );
    let seen = held["messages"][0]["id"].as_str().unwrap().to_owned();

    act(&mut agent, "release", &conv).await;
    assert_eq!(next(&mut agent).await["type"], "closed");
    sink.skip(1).await;
    let (_, back) = try_messages(&d, "u1", Some(&seen)).await;
    assert_eq!(back["answering"], "bot");
    assert_eq!(senders(&back), vec![("bot".into(), bot)]);
}
