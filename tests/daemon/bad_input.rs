//! Every kind of bad request gets a 4xx with a JSON body, and nothing is stored.

use crate::support::*;
use baton::channels::webhook::sign;
use serde_json::json;

fn body(id: &str, account: &str) -> Vec<u8> {
    json!({"id": id, "account": account, "customer": {"id": "u1"}, "text": "hi"})
        .to_string()
        .into_bytes()
}

#[tokio::test]
async fn bad_requests_are_refused_with_json_and_lose_nothing() {
    let (_dir, mut sink, d) = fresh().await;

    let huge = json!({"id": "big", "account": "acme", "customer": {"id": "u1"}, "text": "x".repeat(70_000)});
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"{not json".to_vec(), 400, "bad_request"),
        (
            br#"{"id":"m","account":"acme","customer":{"id":"u1"},"text":""}"#.to_vec(),
            400,
            "bad_request",
        ),
        (huge.to_string().into_bytes(), 413, "payload_too_large"),
        (body("m", "globex"), 421, "misdirected"),
    ];
    for (b, status, code) in cases {
        let (got, v) = d.post_raw(b, &[]).await;
        assert_eq!((got, v["error"].as_str()), (status, Some(code)), "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    // A body streamed without a length is cut off at the limit too.
    let stream = futures::stream::iter((0..40).map(|_| Ok::<_, std::io::Error>(vec![b' '; 4096])));
    let res = d
        .client
        .post(format!("{}/v1/channels/webhook/messages", d.base))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);

    // Nothing was stored: the same id is new, and the queue is empty.
    assert_eq!(d.post_raw(body("m", "acme"), &[]).await, (200, accepted()));
    sink.next().await;
    assert!(d.queue().await.is_empty());

    // Unknown paths and methods are JSON too.
    let res = d.get("/v1/nope").await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "not_found"
    );
    let res = d.get("/v1/channels/webhook/messages").await;
    assert_eq!(res.status().as_u16(), 405);
    let res = d.get("/v1/queue/acme").await;
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn signatures_are_checked_when_a_secret_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = FakeSink::start().await;
    let env = |var: &str| (var == "BATON_WEBHOOK_SECRET").then(|| "s3cret".to_owned());
    let d = Daemon::start_with(dir.path(), &sink.url, "", env).await;

    let b = body("s1", "acme");
    let (status, v) = d.post_raw(b.clone(), &[]).await;
    assert_eq!((status, v["error"].as_str()), (401, Some("unauthorized")));
    let wrong = sign("not-the-secret", &b);
    let (status, _) = d
        .post_raw(b.clone(), &[("x-baton-signature", &wrong)])
        .await;
    assert_eq!(status, 401);
    let tampered = body("s1", "acme")
        .into_iter()
        .map(|c| if c == b'h' { b'H' } else { c })
        .collect();
    let (status, _) = d
        .post_raw(tampered, &[("x-baton-signature", &sign("s3cret", &b))])
        .await;
    assert_eq!(status, 401);

    // None of those was taken: had one been, the same event would be a duplicate now.
    let (status, v) = d
        .post_raw(b.clone(), &[("x-baton-signature", &sign("s3cret", &b))])
        .await;
    assert_eq!((status, v), (200, accepted()));
    assert_eq!(sink.next().await["recipient"], "u1");
}
