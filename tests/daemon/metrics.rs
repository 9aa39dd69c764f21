//! `GET /metrics` on a real daemon: for each family, a scrape, the event made to happen over
//! HTTP or an agent socket, another scrape, and the sample moved by exactly what happened.
//! The page carries no token, and none of the customers' ids or words.

use crate::support::agent::*;
use crate::support::*;
use serde_json::json;
use std::collections::HashMap;

/// One scrape: every sample by its series (name and labels, as written).
struct Scrape(HashMap<String, f64>);

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let (series, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("{l}"));
                (
                    series.to_owned(),
                    value.parse().unwrap_or_else(|_| panic!("{l}")),
                )
            })
            .collect();
        Scrape(samples)
    }

    /// The sample's value; absent counts as zero (a family with no such labels yet).
    fn get(&self, series: &str) -> f64 {
        self.0.get(series).copied().unwrap_or(0.0)
    }

    /// How far `series` moved since `before`.
    fn moved(&self, before: &Scrape, series: &str) -> f64 {
        self.get(series) - before.get(series)
    }
}

async fn scrape(d: &Daemon) -> Scrape {
    let res = d.get("/metrics").await;
    assert_eq!(res.status().as_u16(), 200);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = res.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "not a whole exposition");
    for private in ["secret-customer", "Jo", "where is my order", "tok"] {
        assert!(!text.contains(private), "the page shows {private:?}");
    }
    Scrape::parse(&text)
}

const ACCEPTED: &str = r#"baton_dms_total{channel="webhook",outcome="accepted",reason="none"}"#;
const DUPLICATE: &str = r#"baton_dms_total{channel="webhook",outcome="duplicate",reason="none"}"#;
const ACKS: &str = r#"baton_webhook_ack_seconds_count{channel="webhook"}"#;
const DELIVERED: &str = r#"baton_sends_total{channel="webhook",result="delivered"}"#;
const DEPTH: &str = r#"baton_outbox_depth{channel="webhook"}"#;

#[tokio::test]
async fn dms_their_refusals_the_bot_and_the_outbox_move_their_samples() {
    let (_dir, mut sink, d) = fresh().await;
    let s0 = scrape(&d).await;
    assert_eq!(s0.get(r#"baton_reloads_total{result="ok"}"#), 0.0);
    assert!(s0.0.contains_key(r#"baton_reloads_total{result="failed"}"#));

    // Accepted: acknowledged once durable, after one group flush at least.
    let customer = "secret-customer";
    assert_eq!(d.dm("m1", customer, "where is my order?").await.0, 200);
    let s1 = scrape(&d).await;
    assert_eq!(s1.moved(&s0, ACCEPTED), 1.0);
    assert_eq!(s1.moved(&s0, ACKS), 1.0);
    assert!(s1.moved(&s0, "baton_store_flush_seconds_count") >= 1.0);
    assert!(s1.moved(&s0, "baton_store_flush_group_waiters_sum") >= 1.0);
    let matched = r#"baton_rule_matches_total{rule="order-status"}"#;
    assert_eq!(s1.moved(&s0, matched), 1.0);
    // The greeting and the answer.
    assert_eq!(s1.moved(&s0, "baton_bot_replies_total"), 2.0);
    assert_eq!(s1.get(r#"baton_conversations{state="bot"}"#), 1.0);

    // A redelivery, and three refusals with their reasons.
    assert_eq!(d.dm("m1", customer, "where is my order?").await.0, 200);
    assert_eq!(d.post_raw(b"{not json".to_vec(), &[]).await.0, 400);
    let stranger = json!({"id": "m9", "account": "nobody", "customer": {"id": "c"}, "text": "x"});
    let (status, _) = d.post_raw(stranger.to_string().into_bytes(), &[]).await;
    assert_eq!(status, 421);
    let (status, _) = d.post_raw(vec![b' '; 70 * 1024], &[]).await;
    assert_eq!(status, 413);
    let s2 = scrape(&d).await;
    assert_eq!(s2.moved(&s1, DUPLICATE), 1.0);
    assert_eq!(s2.moved(&s1, ACCEPTED), 0.0);
    assert_eq!(s2.moved(&s1, ACKS), 1.0);
    for reason in ["malformed", "misdirected", "too_large"] {
        let series =
            format!(r#"baton_dms_total{{channel="webhook",outcome="refused",reason="{reason}"}}"#);
        assert_eq!(s2.moved(&s1, &series), 1.0, "{reason}");
    }

    // Not understood: a fallback, and no rule matched.
    d.dm("m2", customer, "qwerty").await;
    let s3 = scrape(&d).await;
    assert_eq!(s3.moved(&s2, "baton_fallbacks_total"), 1.0);
    assert_eq!(s3.moved(&s2, matched), 0.0);
    assert_eq!(s3.moved(&s2, "baton_bot_replies_total"), 1.0);

    // The bot closes the episode alone: contained.
    d.dm("m3", customer, "thanks").await;
    let s4 = scrape(&d).await;
    assert_eq!(s4.moved(&s3, "baton_bot_contained_total"), 1.0);
    assert_eq!(
        s4.moved(&s3, r#"baton_rule_matches_total{rule="bye"}"#),
        1.0
    );

    // Also when the episode's first message closes it (the greeting, then goodbye).
    d.dm("m4", "second-customer", "thanks").await;
    let s4b = scrape(&d).await;
    assert_eq!(s4b.moved(&s4, "baton_bot_contained_total"), 1.0);
    assert_eq!(s4b.moved(&s4, "baton_bot_replies_total"), 2.0);

    // Every reply reached the fake platform: counted as delivered, nothing left behind.
    sink.skip(6).await;
    let s5 = eventually("the outbox drained", || async {
        let s = scrape(&d).await;
        (s.moved(&s0, DELIVERED) == 6.0 && s.get(DEPTH) == 0.0).then_some(s)
    })
    .await;
    let oldest = r#"baton_outbox_oldest_undelivered_seconds{channel="webhook"}"#;
    assert_eq!(s5.get(oldest), 0.0);
    assert_eq!(
        s5.moved(&s0, r#"baton_send_retries_total{channel="webhook"}"#),
        0.0
    );
}

#[tokio::test]
async fn the_line_an_offer_a_handoff_and_a_release_move_their_samples() {
    let (_dir, _sink, d) = fresh().await;
    let token = agent_with_token(&d).await;
    let s0 = scrape(&d).await;
    assert_eq!(s0.get(r#"baton_agents{presence="offline"}"#), 1.0);

    // Nobody is available: the customer waits in line.
    d.dm("q1", "secret-customer", "agent").await;
    let s1 = scrape(&d).await;
    let by_rule = r#"baton_escalations_total{reason="rule"}"#;
    assert_eq!(s1.moved(&s0, by_rule), 1.0);
    assert_eq!(s1.get(r#"baton_queue_length{account="acme"}"#), 1.0);
    assert!(s1
        .0
        .contains_key(r#"baton_queue_oldest_wait_seconds{account="acme"}"#));
    assert_eq!(s1.get(r#"baton_conversations{state="queued"}"#), 1.0);
    assert!(s1.get("baton_scheduler_deadlines_pending") >= 1.0);

    // An agent signs in: a socket, available, offered the conversation; accepts it.
    let mut ws = sign_in(&d, &token).await;
    let offer = next(&mut ws).await;
    assert_eq!(offer["type"], "offer", "{offer}");
    let conv = offer["conversation"]["id"].as_str().unwrap().to_owned();
    let s2 = scrape(&d).await;
    assert_eq!(s2.moved(&s0, "baton_agent_sockets"), 1.0);
    assert_eq!(s2.get(r#"baton_agents{presence="available"}"#), 1.0);
    assert_eq!(s2.get(r#"baton_conversations{state="offered"}"#), 1.0);
    assert_eq!(s2.moved(&s0, "baton_agent_events_awaiting_ack"), 1.0);
    act(&mut ws, "accept", &conv).await;
    // Assigned, then the receipt of the agent's announcement: both kept until acknowledged.
    let assigned = next(&mut ws).await;
    assert_eq!(assigned["type"], "assigned", "{assigned}");
    let receipt = next_any(&mut ws).await;
    assert_eq!(receipt["type"], "delivery", "{receipt}");
    let s3 = scrape(&d).await;
    assert_eq!(
        s3.moved(&s2, r#"baton_offers_total{outcome="accepted"}"#),
        1.0
    );
    assert_eq!(s3.moved(&s2, "baton_handoffs_total"), 1.0);
    assert_eq!(s3.moved(&s2, "baton_queue_wait_seconds_count"), 1.0);
    assert_eq!(s3.get(r#"baton_queue_length{account="acme"}"#), 0.0);
    assert_eq!(s3.get(r#"baton_conversations{state="with_agent"}"#), 1.0);
    assert_eq!(s3.moved(&s2, "baton_agent_events_awaiting_ack"), 2.0);

    // Acknowledged: nothing awaits the agent any more.
    let seq = receipt["seq"].as_u64().unwrap();
    send(&mut ws, json!({"type": "ack", "seq": seq})).await;
    eventually("the acknowledgement counted", || async {
        let s = scrape(&d).await;
        (s.get("baton_agent_events_awaiting_ack") == s0.get("baton_agent_events_awaiting_ack"))
            .then_some(())
    })
    .await;

    // Handed back to the bot; a person had it, so the close that follows is not contained.
    act(&mut ws, "release", &conv).await;
    assert_eq!(next(&mut ws).await["type"], "closed");
    d.dm("q2", "secret-customer", "thanks").await;
    let s4 = scrape(&d).await;
    assert_eq!(s4.moved(&s3, r#"baton_releases_total{kind="agent"}"#), 1.0);
    assert_eq!(s4.moved(&s3, "baton_bot_contained_total"), 0.0);

    // The socket closes: the gauge comes back down.
    drop(ws);
    eventually("the socket counted closed", || async {
        let s = scrape(&d).await;
        (s.get("baton_agent_sockets") == s0.get("baton_agent_sockets")).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_lapsed_offer_and_its_deadline_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let accounts = with_timeouts(dir.path(), "offer = \"300ms\"");
    let d = Daemon::start_accounts(dir.path(), &sink.url, &accounts).await;
    let mut ws = online(&d, "Alissa", &[], 1).await;
    let s0 = scrape(&d).await;
    d.dm("l1", "u1", "agent").await;
    assert_eq!(next(&mut ws).await["type"], "offer");
    let withdrawn = next(&mut ws).await;
    assert_eq!(withdrawn["why"], "timeout", "{withdrawn}");
    // The line offers the conversation again at once, and on a slow machine that offer may
    // lapse too before a scrape: go away, read every offer to its end, then count exactly.
    send(&mut ws, json!({"type": "presence", "status": "away"})).await;
    // A barrier (an action the engine refuses at once): every frame sent before its answer is
    // read first; then whatever offer is still open is read to its end.
    act(&mut ws, "resolve", "c999999").await;
    let (mut open, mut lapsed, mut barrier) = (0i32, 1u32, false);
    while !barrier || open > 0 {
        let f = next(&mut ws).await;
        match f["type"].as_str() {
            Some("offer") => open += 1,
            Some("offer_withdrawn") => {
                open -= 1;
                lapsed += u32::from(f["why"] == "timeout");
            }
            Some("error") if f["ref"] == "c999999" => barrier = true,
            _ => {}
        }
    }
    let s1 = scrape(&d).await;
    assert_eq!(
        s1.moved(&s0, r#"baton_offers_total{outcome="lapsed"}"#),
        f64::from(lapsed)
    );
    assert!(s1.moved(&s0, "baton_scheduler_lateness_seconds_count") >= 1.0);
}

#[tokio::test]
async fn agent_sockets_refused_by_the_cap_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let extra = "[agents]\nauth_timeout = \"60s\"\n[http]\nmax_agent_sockets = 1\n";
    let d = Daemon::start_with(dir.path(), &sink.url, extra, |_| None).await;
    let s0 = scrape(&d).await;
    let _first = connect(&d).await;
    let url = format!("{}/v1/agents/ws", d.base.replace("http://", "ws://"));
    assert!(tokio_tungstenite::connect_async(url.as_str())
        .await
        .is_err());
    let s1 = scrape(&d).await;
    let refused = r#"baton_http_refused_total{cap="agent_sockets"}"#;
    assert_eq!(s1.moved(&s0, refused), 1.0);
    assert_eq!(
        s1.moved(&s0, r#"baton_http_refused_total{cap="connections"}"#),
        0.0
    );
}

#[tokio::test]
async fn turned_off_it_is_a_json_404_and_dms_still_flow() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let extra = "[metrics]\nenabled = false\n";
    let d = Daemon::start_with(dir.path(), &sink.url, extra, |_| None).await;
    assert_eq!(d.dm("o1", "u1", "where is my order?").await.0, 200);
    let res = d.get("/metrics").await;
    assert_eq!(res.status().as_u16(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found", "{body}");
}

#[tokio::test]
async fn a_retry_and_a_message_refused_for_good_are_counted() {
    let (_dir, mut sink, d) = fresh().await;
    let s0 = scrape(&d).await;
    // The greeting: a 503 (tried again), then a 400 (refused for good); the answer goes out.
    sink.script.lock().unwrap().extend([503, 400]);
    d.dm("f1", "u1", "where is my order?").await;
    assert_eq!(sink.next_text().await, TRACK);
    let s1 = eventually("the round counted", || async {
        let s = scrape(&d).await;
        (s.moved(&s0, DELIVERED) == 1.0).then_some(s)
    })
    .await;
    let failed = r#"baton_sends_total{channel="webhook",result="failed"}"#;
    assert_eq!(s1.moved(&s0, failed), 1.0);
    let retries = r#"baton_send_retries_total{channel="webhook"}"#;
    assert_eq!(s1.moved(&s0, retries), 1.0);
}

#[tokio::test]
async fn an_unsigned_dm_is_refused_for_its_signature() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FakeSink::start().await;
    let env = |var: &str| (var == "BATON_WEBHOOK_SECRET").then(|| "s3cret".to_owned());
    let d = Daemon::start_with(dir.path(), &sink.url, "", env).await;
    let s0 = scrape(&d).await;
    let body = json!({"id": "s1", "account": "acme", "customer": {"id": "u1"}, "text": "hi"});
    let (status, _) = d.post_raw(body.to_string().into_bytes(), &[]).await;
    assert_eq!(status, 401);
    let s1 = scrape(&d).await;
    let refused = r#"baton_dms_total{channel="webhook",outcome="refused",reason="bad_signature"}"#;
    assert_eq!(s1.moved(&s0, refused), 1.0);
    assert_eq!(s1.moved(&s0, ACCEPTED), 0.0);
}

#[tokio::test]
async fn the_stores_background_work_is_timed_and_the_journal_measured() {
    // Off the acknowledgements' path: written records move into sled at a flush once 50 ms
    // have passed since the last move, and a barrier makes sled durable every 10 s and lets
    // the journal below it go.
    let (_dir, _sink, d) = fresh().await;
    let s0 = scrape(&d).await;
    assert_eq!(d.dm("b1", "secret-customer", "hello").await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(d.dm("b2", "secret-customer", "hello again").await.0, 200);
    let held = scrape(&d).await.get("baton_journal_bytes");
    assert!(
        held > 200.0,
        "the journal holds two DMs' turns: {held} bytes"
    );
    let limit = std::time::Duration::from_secs(30);
    within(
        limit,
        "an apply and a barrier timed, the journal let go",
        || async {
            let s = scrape(&d).await;
            let applies = s.moved(&s0, "baton_store_apply_seconds_count");
            let barriers = s.moved(&s0, "baton_store_barrier_seconds_count");
            let now = s.get("baton_journal_bytes");
            (applies >= 1.0 && barriers >= 1.0 && now < held).then_some(())
        },
    )
    .await;
}
