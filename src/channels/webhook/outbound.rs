//! The generic outbound format and the two sinks that carry it: a JSON-lines file and HTTP.

use crate::domain::{Author, Message, Profile, QuickReply};
use crate::outbox::{Delivery, Sink};
use crate::store::Outbound;
use futures::future::BoxFuture;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Mutex;

/// One outgoing message as the generic channel posts it (its own shape, not the domain's).
#[derive(Serialize)]
pub struct Wire<'a> {
    pub id: String,
    pub account: &'a str,
    pub recipient: &'a str,
    pub text: &'a str,
    pub quick_replies: Vec<WireQuickReply<'a>>,
    pub profile: Option<WireProfile<'a>>,
    pub sender: &'static str,
}

#[derive(Serialize)]
pub struct WireQuickReply<'a> {
    pub label: &'a str,
    pub payload: &'a str,
}

/// The Custom Profile the message is signed with.
#[derive(Serialize)]
pub struct WireProfile<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub avatar: &'a str,
}

impl<'a> From<&'a QuickReply> for WireQuickReply<'a> {
    fn from(q: &'a QuickReply) -> Self {
        WireQuickReply {
            label: &q.label,
            payload: &q.payload,
        }
    }
}

impl<'a> From<&'a Profile> for WireProfile<'a> {
    fn from(p: &'a Profile) -> Self {
        WireProfile {
            id: &p.id,
            name: &p.name,
            avatar: &p.avatar,
        }
    }
}

/// The JSON object the generic channel sends for one outgoing message.
pub fn wire<'a>(e: &'a Outbound, m: &'a Message) -> Wire<'a> {
    Wire {
        id: m.id.to_string(),
        account: e.account.as_str(),
        recipient: e.to.id.as_str(),
        text: &m.text,
        quick_replies: m.quick_replies.iter().map(WireQuickReply::from).collect(),
        profile: m.profile.as_ref().map(WireProfile::from),
        sender: match m.from {
            Author::Agent => "agent",
            _ => "bot",
        },
    }
}

/// Appends one JSON line per message; the demo default, so trying Baton needs no other server.
///
/// Lines are collected in memory during a round and written with one write at its end, so a
/// round costs one trip to the blocking pool rather than one per message.
pub struct JsonlSink {
    lines: std::sync::Mutex<Vec<u8>>,
    out: Mutex<Box<dyn AsyncWrite + Send + Unpin>>,
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
            lines: std::sync::Mutex::new(Vec::with_capacity(64 * 1024)),
            out: Mutex::new(out),
        })
    }
}

impl Sink for JsonlSink {
    fn send<'a>(&'a self, entry: &'a Outbound, message: &'a Message) -> BoxFuture<'a, Delivery> {
        let mut lines = match self.lines.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        let delivery = match serde_json::to_writer(&mut *lines, &wire(entry, message)) {
            Ok(()) => {
                lines.push(b'\n');
                Delivery::Delivered
            }
            Err(e) => Delivery::Failed(e.to_string()),
        };
        Box::pin(std::future::ready(delivery))
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let lines = {
                let mut l = match self.lines.lock() {
                    Ok(l) => l,
                    Err(poisoned) => poisoned.into_inner(),
                };
                std::mem::take(&mut *l)
            };
            if lines.is_empty() {
                return Ok(());
            }
            let mut out = self.out.lock().await;
            out.write_all(&lines).await.map_err(|e| e.to_string())?;
            out.flush().await.map_err(|e| e.to_string())
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
    fn send<'a>(&'a self, entry: &'a Outbound, message: &'a Message) -> BoxFuture<'a, Delivery> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, Channel, ConversationId, Customer, CustomerId, MessageId};
    use crate::domain::{Author, Timestamp};

    #[test]
    fn the_outbound_format_keeps_its_bytes() {
        let message = Message {
            id: MessageId {
                conversation: ConversationId(4),
                seq: 1,
            },
            from: Author::Bot,
            text: "Track any order at https://example.com/track.".into(),
            payload: None,
            quick_replies: vec![QuickReply {
                label: "Talk to a person".into(),
                payload: "escalate".into(),
            }],
            attachments: Vec::new(),
            profile: Some(Profile {
                id: "acme-bot".into(),
                name: "Acme Assistant (bot)".into(),
                avatar: "https://example.com/bot.png".into(),
            }),
            at: Timestamp(1_764_410_400_000),
            epoch: 0,
        };
        let entry = Outbound {
            seq: 7,
            account: AccountId::from("acme"),
            to: Customer {
                channel: Channel::Webhook,
                id: CustomerId::from("u1"),
                name: None,
            },
            pending: vec![message.clone()],
            skipped: 0,
        };
        let text = serde_json::to_string(&wire(&entry, &message)).unwrap();
        crate::golden::check("channel/webhook_outbound", &text);
    }
}
