//! Profiles never lie: an agent's profile name shows all it says and cannot pass for the bot
//! or a colleague; a receiver that cannot show profiles reads who wrote in the text.

use crate::support::agent::*;
use crate::support::*;
use serde_json::{json, Value};

fn agent(account: &str, profile_name: &str) -> Value {
    json!({"account": account, "name": "Someone", "profile_name": profile_name,
           "avatar": "https://example.com/a.png"})
}

#[tokio::test]
async fn a_profile_that_hides_characters_or_passes_for_another_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let accounts = "[accounts.acme]\nname = \"Acme Mobile\"\n\
                    [accounts.globex]\nname = \"Globex\"";
    let d = Daemon::start_accounts(dir.path(), &sink.url, accounts).await;

    // Hidden characters: every problem of the agent is named at once.
    let mut hidden = agent("acme", "Sam\u{202E}\u{0}\u{200B}");
    hidden["capacity"] = json!(0);
    let (status, v) = d.admin_post("/v1/agents", hidden).await;
    assert_eq!((status, v["error"].as_str()), (422, Some("invalid")), "{v}");
    let message = v["message"].as_str().unwrap();
    for said in [
        "a bidirectional control (U+202E) at character 4",
        "a control character (U+0000) at character 5",
        "an invisible character (U+200B) at character 6",
        "capacity 0 must be 1-50",
    ] {
        assert!(message.contains(said), "{said:?} in {v}");
    }

    // The fixture bot is "Test Assistant (bot)": neither it nor a look-alike is a person's.
    for bot in [
        "Test Assistant (bot)",
        "test assistant - bot",
        "Tеst Аssistant (b0t)", // Cyrillic е and А, digit zero
        "ＴｅｓｔＡｓｓｉｓｔａｎｔ ｂｏｔ",
    ] {
        let (status, v) = d.admin_post("/v1/agents", agent("acme", bot)).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (409, Some("profile_taken")),
            "{bot}: {v}"
        );
        assert!(
            v["message"].as_str().unwrap().contains("the bot's profile"),
            "{v}"
        );
    }

    // Unique per account, by the same skeleton.
    let (status, v) = d.admin_post("/v1/agents", agent("acme", "Sam, Acme")).await;
    assert_eq!(status, 201, "{v}");
    let (status, v) = d
        .admin_post("/v1/agents", agent("acme", "SAM  acme!"))
        .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (409, Some("profile_taken")),
        "{v}"
    );
    assert_eq!(
        v["message"],
        "profile name reads as \"Sam, Acme\", the profile of agent a0; \
         each person on an account needs a name of their own"
    );
    // Another account's people may share it.
    let (status, v) = d
        .admin_post("/v1/agents", agent("globex", "Sam, Acme"))
        .await;
    assert_eq!(status, 201, "{v}");

    let (_, listed) = d.admin("/v1/agents").await;
    assert_eq!(
        listed["agents"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );
}

#[tokio::test]
async fn a_receiver_without_profiles_reads_who_wrote_each_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let extra = "[channels.webhook]\nprofiles = false\n";
    let d = Daemon::start_with(dir.path(), &sink.url, extra, |_| None).await;

    d.dm("e1", "u1", "where is my order").await;
    let greeting = sink.next().await;
    assert_eq!(
        greeting["text"],
        "Hi Jo! I'm an automated assistant.\n(automated)"
    );
    assert_eq!(sink.next_text().await, format!("{TRACK}\n(automated)"));

    let mut ws = online(&d, "Alissa", &[], 1).await;
    take(&d, &mut ws, "e2", "u1").await;
    // The bot's words while queuing are signed as the bot's; then the agent's as the agent's.
    let from_agent = loop {
        let m = sink.next().await;
        match m["sender"].as_str() {
            Some("agent") => break m,
            _ => assert!(
                m["text"].as_str().unwrap().ends_with("\n(automated)"),
                "{m}"
            ),
        }
    };
    assert_eq!(
        from_agent["text"],
        "Hi, I'm Alissa, a person on the Acme Mobile team. I've read our conversation so far.\n\
         — Alissa, Acme"
    );
    // The profile is still sent, for a receiver that learns to show it.
    assert_eq!(from_agent["profile"]["name"], "Alissa, Acme");
}

#[tokio::test]
async fn a_receiver_with_profiles_gets_the_text_alone() {
    let (_dir, mut sink, d) = fresh().await;
    d.dm("e1", "u1", "where is my order").await;
    assert_eq!(sink.next_text().await, "Hi Jo! I'm an automated assistant.");
    assert_eq!(sink.next_text().await, TRACK);
}
