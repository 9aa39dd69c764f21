//! The generic outbound format and the two sinks that carry it: a JSON-lines file and HTTP.
//!
//! A receiver that cannot show a Custom Profile (`[channels.webhook] profiles = false`) gets
//! each message's attribution in its text instead ([`Attribution`]).

use crate::domain::{Account, AccountId, Author, Message, MessageId, Profile, QuickReply};
use crate::outbox::{Delivery, Sink};
use crate::rules::{Template, Vars};
use crate::store::Outbound;
use foldhash::HashMap;
use futures::future::BoxFuture;
use serde::Serialize;
use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::Mutex;

/// One outgoing message as the generic channel posts it (its own shape, not the domain's).
#[derive(Serialize)]
pub struct Wire<'a> {
    /// Written as its text (`c12-3`) straight into the output, not copied to a `String` first.
    #[serde(serialize_with = "as_text")]
    pub id: MessageId,
    pub account: &'a str,
    pub recipient: &'a str,
    pub text: Cow<'a, str>,
    pub quick_replies: Vec<WireQuickReply<'a>>,
    pub profile: Option<WireProfile<'a>>,
    pub sender: &'static str,
}

fn as_text<S: serde::Serializer>(id: &MessageId, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
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

/// How each account signs messages in their text, for a receiver that cannot show a profile:
/// `[bot] attribution` under the bot's, `[waiting] agent_attribution` under a person's.
#[derive(Debug, Clone, Default)]
pub struct Attribution {
    accounts: HashMap<AccountId, Signatures>,
}

#[derive(Debug, Clone)]
struct Signatures {
    account_name: String,
    bot_name: String,
    bot: Template,
    agent: Template,
}

impl Attribution {
    pub fn new(accounts: &[Account]) -> Attribution {
        let accounts = accounts
            .iter()
            .map(|a| {
                let signatures = Signatures {
                    account_name: a.name.clone(),
                    bot_name: a.bot.name.clone(),
                    bot: a.rules.bot.attribution.clone(),
                    agent: a.rules.waiting.agent_attribution.clone(),
                };
                (a.id.clone(), signatures)
            })
            .collect();
        Attribution { accounts }
    }

    /// The message's text with its attribution on a new line; as it is when the account is
    /// unknown or its attribution reads as nothing.
    fn text<'a>(&self, e: &'a Outbound, m: &'a Message) -> Cow<'a, str> {
        let Some(s) = self.accounts.get(&e.account) else {
            return Cow::Borrowed(&m.text);
        };
        let template = match m.from {
            Author::Agent => &s.agent,
            _ => &s.bot,
        };
        let vars = Vars {
            customer_name: e.to.name.as_deref(),
            customer_id: e.to.id.as_str(),
            account_name: &s.account_name,
            bot_name: &s.bot_name,
            profile_name: m.profile.as_ref().map(|p| p.name.as_str()),
            ..Vars::default()
        };
        let signed = template.render(&vars);
        if signed.trim().is_empty() {
            Cow::Borrowed(&m.text)
        } else {
            Cow::Owned(format!("{}\n{signed}", m.text))
        }
    }
}

/// The JSON object the generic channel sends for one outgoing message.
pub fn wire<'a>(e: &'a Outbound, m: &'a Message) -> Wire<'a> {
    wire_with(e, m, None)
}

/// As [`wire`], with the attribution in the text when the receiver cannot show profiles.
pub fn wire_with<'a>(
    e: &'a Outbound,
    m: &'a Message,
    attribution: Option<&Attribution>,
) -> Wire<'a> {
    Wire {
        id: m.id,
        account: e.account.as_str(),
        recipient: e.to.id.as_str(),
        text: attribution.map_or(Cow::Borrowed(m.text.as_str()), |a| a.text(e, m)),
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
    attribution: Option<Attribution>,
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
            attribution: None,
        })
    }

    /// Signs every message in its text: for a receiver that cannot show profiles.
    pub fn with_attribution(self, attribution: Option<Attribution>) -> JsonlSink {
        JsonlSink {
            attribution,
            ..self
        }
    }
}

impl Sink for JsonlSink {
    fn send<'a>(&'a self, entry: &'a Outbound, message: &'a Message) -> BoxFuture<'a, Delivery> {
        let mut lines = match self.lines.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        let wire = wire_with(entry, message, self.attribution.as_ref());
        let delivery = match serde_json::to_writer(&mut *lines, &wire) {
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
    attribution: Option<Attribution>,
}

impl HttpSink {
    pub fn new(url: String, timeout: Duration) -> Result<HttpSink, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(HttpSink {
            client,
            url,
            attribution: None,
        })
    }

    /// Signs every message in its text: for a receiver that cannot show profiles.
    pub fn with_attribution(self, attribution: Option<Attribution>) -> HttpSink {
        HttpSink {
            attribution,
            ..self
        }
    }
}

impl Sink for HttpSink {
    fn send<'a>(&'a self, entry: &'a Outbound, message: &'a Message) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let res = self
                .client
                .post(&self.url)
                .json(&wire_with(entry, message, self.attribution.as_ref()))
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
    use crate::domain::{Account, Author, Timestamp};
    use crate::domain::{AccountId, Channel, ConversationId, Customer, CustomerId, MessageId};

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

    fn account(bot_toml: &str) -> Account {
        let rules = crate::rules::compile(&[("bot.toml".into(), bot_toml.to_owned())]).unwrap();
        Account {
            id: AccountId::from("acme"),
            name: "Acme Mobile".into(),
            bot: Profile {
                id: "acme-bot".into(),
                name: "Acme Assistant (bot)".into(),
                avatar: "https://example.com/bot.png".into(),
            },
            timeouts: rules.timeouts,
            hours: None,
            rules: std::sync::Arc::new(rules),
        }
    }

    #[test]
    fn a_receiver_without_profiles_reads_who_wrote_in_the_text() {
        const BOT: &str = "[bot]\nprofile = { name = 'Acme Assistant (bot)', avatar = \
                           'https://example.com/b.png' }\ngreeting = 'Hi'\nfallback = '?'\n";
        let set = format!(
            "{BOT}attribution = '~ {{bot.name}} at {{account.name}}'\n\
             [waiting]\nagent_attribution = '{{profile.name}} (a person)'\n"
        );
        let silent = format!("{BOT}attribution = ''\n");
        let defaults = Attribution::new(&[account(BOT)]);
        let chosen = Attribution::new(&[account(&set)]);
        let none = Attribution::new(&[account(&silent)]);
        let other = Attribution::default();
        let sam = Profile {
            id: "acme-a1".into(),
            name: "Sam, Acme".into(),
            avatar: "https://example.com/sam.png".into(),
        };
        let cases = [
            (None, Author::Bot, "Hello."),
            (None, Author::Agent, "Hello."),
            (Some(&defaults), Author::Bot, "Hello.\n(automated)"),
            (Some(&defaults), Author::System, "Hello.\n(automated)"),
            (Some(&defaults), Author::Agent, "Hello.\n— Sam, Acme"),
            (
                Some(&chosen),
                Author::Bot,
                "Hello.\n~ Acme Assistant (bot) at Acme Mobile",
            ),
            (Some(&chosen), Author::Agent, "Hello.\nSam, Acme (a person)"),
            // Nothing to say is said as nothing, not as an empty line.
            (Some(&none), Author::Bot, "Hello."),
            (Some(&other), Author::Bot, "Hello."),
        ];
        for (attribution, from, want) in cases {
            let message = Message {
                id: MessageId {
                    conversation: ConversationId(4),
                    seq: 1,
                },
                from,
                text: "Hello.".into(),
                payload: None,
                quick_replies: vec![],
                profile: Some(sam.clone()),
                at: Timestamp(1),
                epoch: 0,
                attachments: Vec::new(),
            };
            let entry = Outbound {
                seq: 7,
                account: AccountId::from("acme"),
                to: Customer {
                    channel: Channel::Webhook,
                    id: CustomerId::from("u1"),
                    name: None,
                },
                pending: vec![],
                skipped: 0,
            };
            let got = wire_with(&entry, &message, attribution).text.into_owned();
            assert_eq!(got, want, "{from:?}");
        }
    }
}
