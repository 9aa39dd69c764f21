//! The guard in front of a small router of its own: what is refused before routing, and what
//! is made JSON after.

use super::Guarded;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use foldhash::HashSet;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A guard over routes that count the requests they handle.
fn guarded(handled: Arc<AtomicUsize>) -> (Guarded, crate::shutdown::Trigger) {
    let count = move || {
        let handled = handled.clone();
        move || async move {
            handled.fetch_add(1, Ordering::SeqCst);
            "ok"
        }
    };
    let router = Router::new()
        .route("/v1/channels/webhook/messages", post(count()))
        .route("/v1/stats", get(count()))
        .route(
            "/v1/plain",
            get(|| async { (StatusCode::BAD_REQUEST, "no good\n") }),
        );
    let (trigger, shutdown) = crate::shutdown::channel();
    let owned = HashSet::from_iter(["acme".to_owned()]);
    (Guarded::new(router, Arc::new(owned), shutdown), trigger)
}

async fn answer(g: &Guarded, method: Method, uri: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let res = g.answer(req).await;
    let status = res.status();
    let kind = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(res.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, kind, body.to_vec())
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[tokio::test]
async fn an_account_not_owned_is_refused_before_any_handler() {
    let handled = Arc::new(AtomicUsize::new(0));
    let (g, _trigger) = guarded(handled.clone());
    let (status, _, body) = answer(&g, Method::GET, "/v1/stats?account=globex").await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
    let body = json(&body);
    assert_eq!(
        (body["error"].as_str(), body["account"].as_str()),
        (Some("misdirected"), Some("globex"))
    );
    assert_eq!(handled.load(Ordering::SeqCst), 0);
    for owned in ["/v1/stats?account=acme", "/v1/stats", "/v1/stats?account="] {
        let (status, _, body) = answer(&g, Method::GET, owned).await;
        assert_eq!(
            (status, body.as_slice()),
            (StatusCode::OK, &b"ok"[..]),
            "{owned}"
        );
    }
    assert_eq!(handled.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn plain_text_refusals_become_json_and_answers_are_untouched() {
    let (g, _trigger) = guarded(Arc::default());
    let (status, kind, body) = answer(&g, Method::GET, "/v1/plain").await;
    assert_eq!(
        (status, kind.as_deref()),
        (StatusCode::BAD_REQUEST, Some("application/json"))
    );
    let body = json(&body);
    assert_eq!(
        (body["error"].as_str(), body["message"].as_str()),
        (Some("bad_request"), Some("no good"))
    );
    let (status, kind, _) = answer(&g, Method::GET, "/v1/stats").await;
    assert_eq!(
        (status, kind.as_deref()),
        (StatusCode::OK, Some("text/plain; charset=utf-8"))
    );
}

#[tokio::test]
async fn once_stopping_only_channel_posts_are_refused_whatever_account_they_name() {
    let handled = Arc::new(AtomicUsize::new(0));
    let (g, trigger) = guarded(handled.clone());
    let (status, _, _) = answer(&g, Method::POST, "/v1/channels/webhook/messages").await;
    assert_eq!(status, StatusCode::OK);
    trigger.trigger();
    for uri in [
        "/v1/channels/webhook/messages",
        "/v1/channels/webhook/messages?account=globex",
    ] {
        let (status, _, body) = answer(&g, Method::POST, uri).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert_eq!(json(&body)["error"], "unavailable");
    }
    assert_eq!(handled.load(Ordering::SeqCst), 1);
    let (status, _, _) = answer(&g, Method::GET, "/v1/stats").await;
    assert_eq!(status, StatusCode::OK);
}
