//! The generic outbound format and the two sinks that carry it: a JSON-lines file and HTTP.

use crate::domain::{Author, Message, Profile, QuickReply};
use crate::outbox::{Delivery, Sink};
use crate::store::OutboxRecord;
use futures::future::BoxFuture;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::Mutex;

#[derive(Serialize)]
pub struct Wire<'a> {
    pub id: String,
    pub account: &'a str,
    pub recipient: &'a str,
    pub text: &'a str,
    pub quick_replies: &'a [QuickReply],
    pub profile: Option<&'a Profile>,
    pub sender: &'static str,
}

/// The JSON object the generic channel sends for one outgoing message.
pub fn wire<'a>(e: &'a OutboxRecord, m: &'a Message) -> Wire<'a> {
    Wire {
        id: m.id.to_string(),
        account: e.account.as_str(),
        recipient: e.to.id.as_str(),
        text: &m.text,
        quick_replies: &m.quick_replies,
        profile: m.profile.as_ref(),
        sender: match m.from {
            Author::Agent => "agent",
            _ => "bot",
        },
    }
}

/// Appends one JSON line per message; the demo default, so trying Baton needs no other server.
pub struct JsonlSink {
    out: Mutex<BufWriter<Box<dyn AsyncWrite + Send + Unpin>>>,
}

impl JsonlSink {
    pub async fn open(path: Option<&Path>) -> std::io::Result<JsonlSink> {
        let out: Box<dyn AsyncWrite + Send + Unpin> = match path {
            None => Box::new(tokio::io::stdout()),
            Some(p) => Box::new(
                tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .await?,
            ),
        };
        Ok(JsonlSink {
            out: Mutex::new(BufWriter::new(out)),
        })
    }
}

impl Sink for JsonlSink {
    fn send<'a>(
        &'a self,
        entry: &'a OutboxRecord,
        message: &'a Message,
    ) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let mut line = match serde_json::to_vec(&wire(entry, message)) {
                Ok(l) => l,
                Err(e) => return Delivery::Failed(e.to_string()),
            };
            line.push(b'\n');
            match self.out.lock().await.write_all(&line).await {
                Ok(()) => Delivery::Delivered,
                Err(e) => Delivery::Retry(e.to_string()),
            }
        })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.out
                .lock()
                .await
                .flush()
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// POSTs each message as JSON; 2xx is delivered, 5xx/429/timeouts are retried, other 4xx fail.
pub struct HttpSink {
    client: reqwest::Client,
    url: String,
}

impl HttpSink {
    pub fn new(url: String, timeout: Duration) -> Result<HttpSink, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(HttpSink { client, url })
    }
}

impl Sink for HttpSink {
    fn send<'a>(
        &'a self,
        entry: &'a OutboxRecord,
        message: &'a Message,
    ) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let res = self
                .client
                .post(&self.url)
                .json(&wire(entry, message))
                .send()
                .await;
            match res {
                Ok(r) if r.status().is_success() => Delivery::Delivered,
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    Delivery::Retry(format!("HTTP {}", r.status()))
                }
                Ok(r) => Delivery::Failed(format!("HTTP {}", r.status())),
                Err(e) => Delivery::Retry(e.to_string()),
            }
        })
    }
}
