//! The agent console across a handoff: sign in, an offer with its transcript and countdown,
//! accept, write under the agent's profile (delivered), let go to the bot.

use crate::driver::{testid, with_browser, Browser};
use crate::pages::with_attr;
use crate::support::{fresh, Daemon, FakeSink, BOT};
use serde_json::json;

/// The seconds an offer's countdown shows: its digits, as a number ("0:29" and "29 s" both
/// read 29; a countdown only ever goes down either way).
async fn seconds(b: &Browser, css: &str) -> Option<u64> {
    let text = b.find(css).await.text().await.ok()?;
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The delivery state shown on the agent's message saying `text`, in conversation `cid`.
async fn delivery_state(b: &Browser, cid: &str, text: &str) -> Option<String> {
    let script = r#"
        const [cid, text] = arguments;
        const panel = document.querySelector(`[data-testid="conversation"][data-conversation-id="${cid}"]`);
        if (!panel) return null;
        const item = [...panel.querySelectorAll('[data-testid="transcript-item"]')]
            .find(i => i.querySelector('[data-testid="message-text"]')?.textContent === text);
        return item?.querySelector('[data-testid="delivery-state"]')?.dataset.state ?? null;
    "#;
    let v = b.eval_with(script, vec![json!(cid), json!(text)]).await;
    v.as_str().map(str::to_owned)
}

#[tokio::test]
async fn an_agent_is_offered_takes_writes_under_its_profile_and_lets_go() {
    with_browser(|b| async move {
        let (_dir, mut sink, mut d) = alissa_signed_in(&b).await;
        b.until_text_in(&testid("agent-name"), "Alissa").await;

        d.dm("e1", "u1", "Jo", "hi").await;
        d.dm("e2", "u1", "Jo", "I want a real person").await;
        let cid = b.offer().await;
        let card = with_attr("offer-card", "data-conversation-id", &cid);
        b.until_text_in(
            &format!("{card} {}", testid("offer-transcript")),
            "I want a real person",
        )
        .await;
        b.until_text_in(
            &format!("{card} {}", testid("offer-reason")),
            "customer_request",
        )
        .await;
        let countdown = format!("{card} {}", testid("offer-countdown"));
        assert!(b.attr(&countdown, "data-expires-at").await.is_some());
        let first = b
            .until("the countdown shows seconds", || seconds(&b, &countdown))
            .await;
        b.until("the countdown ticks down", || async {
            seconds(&b, &countdown).await.filter(|s| *s < first)
        })
        .await;

        b.accept(&cid).await;
        assert_eq!(b.count(&testid("offer-card")).await, 0, "the offer is gone");
        let badge = testid("profile-in-force-name");
        b.until_text_in(&badge, "Alissa, Acme").await;
        b.until_text_in(&testid("profile-in-force"), "Customers see you as")
            .await;
        b.until_message(&cid, "I want a real person").await;

        let reply = "Hello Jo, Alissa here. Let me look.";
        b.send(&cid, reply).await;
        let out = sink.until_text("u1", reply).await;
        assert_eq!(out["sender"], "agent", "{out}");
        assert_eq!(out["profile"]["name"], "Alissa, Acme", "{out}");
        b.until("the reply shows delivered", || async {
            (delivery_state(&b, &cid, reply).await.as_deref() == Some("delivered")).then_some(())
        })
        .await;
        b.screenshot("console").await;

        // A reloaded page signs back in (the token is in sessionStorage) and shows the held
        // conversation again, whole, each message once.
        b.goto(&format!("{}/console/", d.base)).await;
        b.until_attr(&testid("connection-state"), "data-state", "connected")
            .await;
        b.until_message(&cid, reply).await;
        b.until_message(&cid, "I want a real person").await;
        let shown = b.transcript(&cid).await;
        let replies = shown.iter().filter(|(_, t)| t == reply).count();
        assert_eq!(replies, 1, "each message once after a reload: {shown:?}");

        let panel = with_attr("conversation", "data-conversation-id", &cid);
        b.find(&format!("{panel} {}", testid("release")))
            .await
            .click()
            .await
            .expect("click release");
        b.find(&with_attr("notice", "data-why", "released")).await;
        assert_eq!(
            b.count(&panel).await,
            0,
            "the released conversation's panel is gone"
        );
        let back = sink.next().await;
        assert_eq!(
            (
                &back["recipient"],
                &back["sender"],
                &back["profile"]["name"]
            ),
            (&json!("u1"), &json!("bot"), &json!(BOT)),
            "{back}"
        );
        assert_eq!(d.state(&cid).await, "bot");
        d.stop().await;
    })
    .await;
}

/// A fresh daemon with agent Alissa (a0) signed in to the console and available.
async fn alissa_signed_in(b: &Browser) -> (tempfile::TempDir, FakeSink, Daemon) {
    let (dir, sink, d) = fresh().await;
    let token = d.add_agent("Alissa", "Alissa, Acme").await;
    b.sign_in(&d, &token).await;
    (dir, sink, d)
}

/// Presses "Show earlier messages" in `scope` (an offer card's transcript or a tab).
async fn show_earlier(b: &Browser, scope: &str) {
    b.find(&format!("{scope} {}", testid("show-earlier")))
        .await
        .click()
        .await
        .expect("click show earlier");
}

/// A customer writes 110 DMs, each answered by the bot (220 messages), then asks for a person
/// (2 more): the conversation offered to the signed-in agent.
async fn long_conversation(b: &Browser, d: &Daemon) -> String {
    for i in 0..110 {
        let text = format!("where is my order {i}");
        d.dm(&format!("e{i}"), "u1", "Jo", &text).await;
    }
    d.dm("e-last", "u1", "Jo", "I want a real person").await;
    b.offer().await
}

/// A customer with a long history: the offer, and the tab once accepted, show the newest
/// messages under a note that the conversation has older ones; both page back.
#[tokio::test]
async fn a_long_conversation_shows_its_newest_messages_under_a_note() {
    with_browser(|b| async move {
        let (_dir, _sink, d) = alissa_signed_in(&b).await;
        b.until_text_in(&testid("agent-name"), "Alissa").await;
        let cid = long_conversation(&b, &d).await;
        let card = with_attr("offer-card", "data-conversation-id", &cid);
        let offered = format!("{card} {}", testid("offer-transcript"));
        b.until_text_in(&offered, "I want a real person").await;
        let note = format!("{}:first-child", testid("transcript-earlier"));
        b.find(&format!("{offered} {note}")).await;
        // Before accepting, the agent may read further back in the offer itself.
        let first = "where is my order 0";
        let offered_text = b.find(&offered).await.text().await.unwrap_or_default();
        assert!(!offered_text.contains(first), "the oldest are left out");
        show_earlier(&b, &offered).await;
        b.until_text_in(&offered, first).await;

        b.accept(&cid).await;
        b.until_message(&cid, "I want a real person").await;
        let panel = with_attr("conversation", "data-conversation-id", &cid);
        b.find(&format!("{panel} {note}")).await;
        let shown = b.transcript(&cid).await;
        assert_eq!(shown.len(), 200, "the newest 200");
        assert!(
            shown.iter().all(|(_, t)| t != "where is my order 0"),
            "the oldest are left out"
        );

        // The agent asks for the rest: every message, the first on top, and the button gone.
        show_earlier(&b, &panel).await;
        b.until_message(&cid, "where is my order 0").await;
        let all = b.transcript(&cid).await;
        let whole = d.admin(&format!("/v1/conversations/{cid}")).await;
        let whole = whole["transcript"].as_array().map_or(0, Vec::len);
        assert_eq!(
            all.len(),
            whole,
            "every message of the conversation, each once"
        );
        assert_eq!(all[0].1, "where is my order 0", "oldest first");
        b.until("the button goes", || async {
            (b.count(&format!("{panel} {}", testid("transcript-earlier")))
                .await
                == 0)
                .then_some(())
        })
        .await;
    })
    .await;
}

/// The socket drops while a page of older messages is asked for: that page never comes, and
/// once reconnected the button can be pressed again and pages back.
#[tokio::test]
async fn a_page_lost_with_its_socket_can_be_asked_for_again() {
    with_browser(|b| async move {
        let (_dir, _sink, d) = alissa_signed_in(&b).await;
        let cid = long_conversation(&b, &d).await;
        b.accept(&cid).await;
        b.until_message(&cid, "I want a real person").await;
        let panel = with_attr("conversation", "data-conversation-id", &cid);
        let button = format!("{panel} {}", testid("show-earlier"));

        // The request leaves the page but never reaches the daemon, and its socket then closes.
        let lose = r#"
            const send = WebSocket.prototype.send;
            WebSocket.prototype.send = function (data) {
                if (!String(data).includes('"type":"history"')) return send.call(this, data);
                WebSocket.prototype.send = send;
                this.close();
            };
        "#;
        b.eval_with(lose, vec![]).await;
        show_earlier(&b, &panel).await;
        let disabled = || async {
            let v = b
                .eval_with(
                    "return document.querySelector(arguments[0])?.disabled ?? null;",
                    vec![json!(button)],
                )
                .await;
            v.as_bool()
        };
        b.until("the button waits for its page", || async {
            (disabled().await == Some(true)).then_some(())
        })
        .await;
        // Only a new socket's `welcome` makes it usable again.
        b.until("the button can be pressed again", || async {
            (disabled().await == Some(false)).then_some(())
        })
        .await;
        show_earlier(&b, &panel).await;
        b.until_message(&cid, "where is my order 0").await;
    })
    .await;
}

/// Someone of the brand answers the customer in the platform's own app while the agent holds
/// the conversation: the tab shows it at once, told apart from the agent's own messages.
#[tokio::test]
async fn an_answer_written_outside_baton_shows_in_the_tab_as_such() {
    with_browser(|b| async move {
        let (_dir, _sink, d) = alissa_signed_in(&b).await;
        d.dm("e1", "u1", "Jo", "I want a real person").await;
        let cid = b.offer().await;
        b.accept(&cid).await;
        d.brand_says("b1", "u1", "Sam from Acme here").await;
        b.until_message(&cid, "Sam from Acme here").await;
        let script = r#"
            const [cid, text] = arguments;
            const panel = document.querySelector(`[data-testid="conversation"][data-conversation-id="${cid}"]`);
            const item = [...panel.querySelectorAll('[data-testid="transcript-item"]')]
                .find(i => i.querySelector('[data-testid="message-text"]')?.textContent === text);
            return [item.dataset.from, item.querySelector('[data-testid="message-author"]').textContent];
        "#;
        let shown = b
            .eval_with(script, vec![json!(cid), json!("Sam from Acme here")])
            .await;
        assert_eq!(shown, json!(["outside", "Answered outside Baton"]));
    })
    .await;
}

/// An admin edits the agent's profile while it holds a conversation: the console shows at once,
/// above the composer, how customers see it now, and says so in a notice.
#[tokio::test]
async fn an_edited_profile_shows_at_once_above_the_composer() {
    with_browser(|b| async move {
        let (_dir, _sink, d) = alissa_signed_in(&b).await;
        b.until_text_in(&testid("agent-name"), "Alissa").await;
        d.dm("e1", "u1", "Jo", "I want a real person").await;
        let cid = b.offer().await;
        b.accept(&cid).await;
        let badge = testid("profile-in-force-name");
        b.until_text_in(&badge, "Alissa, Acme").await;

        d.edit_agent("a0", json!({"profile_name": "Ally, Acme"}))
            .await;
        b.until_text_in(&badge, "Ally, Acme").await;
        b.find(&with_attr("notice", "data-kind", "updated")).await;
    })
    .await;
}
