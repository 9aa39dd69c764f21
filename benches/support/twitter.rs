//! The Twitter bench's fake v1.1 API: answers every `direct_messages/events/new.json` with 200
//! and a fresh event id, and notes when each DM arrived and for whom. It checks no signature
//! (the integration tests' fake does) and runs on a thread and runtime of its own, so arrival
//! times are taken as the platform would take them, not when the load generator gets around
//! to it.

use axum::extract::State;
use axum::routing::post;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// `sha256=<base64 HMAC-SHA256(secret, body)>`: the `x-twitter-webhooks-signature` of a body.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(body);
    format!("sha256={}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[derive(Clone, Default)]
struct Seen {
    next_id: Arc<AtomicU64>,
    /// When every DM arrived, in arrival order.
    arrivals: Arc<Mutex<Vec<Instant>>>,
    /// Recipients someone waits on: each of their DMs' arrival is sent there too.
    watchers: Arc<Mutex<HashMap<String, UnboundedSender<Instant>>>>,
}

/// A running fake; `base` is its `http://127.0.0.1:<port>`.
pub struct FakeApi {
    pub base: String,
    seen: Seen,
}

impl FakeApi {
    pub fn start() -> FakeApi {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the fake API");
        listener.set_nonblocking(true).expect("nonblocking");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let seen = Seen::default();
        let router = Router::new()
            .route("/1.1/direct_messages/events/new.json", post(new_dm))
            .with_state(seen.clone());
        // Left running until the process ends: the bench exits right after its last figure.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the fake API's runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)
                    .expect("listener")
                    .tap_io(|tcp| {
                        let _ = tcp.set_nodelay(true);
                    });
                axum::serve(listener, router).await.expect("the fake API");
            });
        });
        FakeApi { base, seen }
    }

    /// DMs received so far.
    pub fn received(&self) -> usize {
        self.seen.arrivals.lock().expect("arrivals").len()
    }

    /// The arrival times of every DM received so far.
    pub fn arrivals(&self) -> Vec<Instant> {
        self.seen.arrivals.lock().expect("arrivals").clone()
    }

    /// From now on, the arrival time of every DM to `recipient`.
    pub fn watch(&self, recipient: &str) -> UnboundedReceiver<Instant> {
        let (tx, rx) = unbounded_channel();
        self.seen
            .watchers
            .lock()
            .expect("watchers")
            .insert(recipient.to_owned(), tx);
        rx
    }
}

async fn new_dm(State(seen): State<Seen>, Json(body): Json<Value>) -> Json<Value> {
    let at = Instant::now();
    let recipient = body["event"]["message_create"]["target"]["recipient_id"]
        .as_str()
        .unwrap_or_default();
    seen.arrivals.lock().expect("arrivals").push(at);
    if let Some(tx) = seen.watchers.lock().expect("watchers").get(recipient) {
        let _ = tx.send(at);
    }
    let id = 1_700_000_000_000_000_000 + seen.next_id.fetch_add(1, Ordering::Relaxed);
    Json(json!({ "event": {
        "type": "message_create",
        "id": id.to_string(),
        "message_create": body["event"]["message_create"].clone(),
    }}))
}
