//! The Twitter/X channel's sink: each outgoing message becomes a v1.1 Direct Message signed with
//! the platform's id of the Custom Profile the message carries, or is held until there is one.
//!
//! Per account it remembers a rate-limit window (nothing is sent before its reset, so the
//! messages go out in order once it passes) and when it last said that the account's credentials
//! are refused (so a broken token is logged about once a minute, not once per message).

use super::api::{ApiError, Client, QuickOption};
use super::status::SendStatus;
use super::SentIds;
use crate::domain::{AccountId, Channel, Message, Timestamp};
use crate::outbox::{Delivery, Sink};
use crate::store::Outbound;
use foldhash::HashMap;
use futures::future::BoxFuture;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

mod directory;

pub use directory::ProfileDirectory;

/// The platform's limits on a direct message.
pub const MAX_TEXT: usize = 10_000;
pub const MAX_OPTIONS: usize = 20;
pub const MAX_LABEL: usize = 36;
pub const MAX_METADATA: usize = 1_000;

/// How long without a fresh answer from the platform a refused account stays unmentioned.
const REFUSED_LOG_EVERY: Duration = Duration::from_secs(60);

/// One account's client and what the sink remembers about it.
struct Line {
    client: Client,
    /// Nothing is sent before this (epoch seconds).
    limited_until: Mutex<Option<u64>>,
    refused_logged: Mutex<Option<Instant>>,
}

/// Sends a channel's messages as direct messages, each through its account's client.
pub struct TwitterSink {
    lines: HashMap<AccountId, Line>,
    profiles: ProfileDirectory,
    /// What `GET /v1/channels` reports; written here, never read back.
    status: SendStatus,
    /// Where the ids of sent messages go, so their echoes are known as Baton's own.
    sent: SentIds,
}

impl TwitterSink {
    pub fn new(clients: Vec<(AccountId, Client)>, profiles: ProfileDirectory) -> TwitterSink {
        let status = SendStatus::default();
        for (id, _) in &clients {
            status.track(id.clone());
        }
        let lines = clients
            .into_iter()
            .map(|(id, client)| {
                let line = Line {
                    client,
                    limited_until: Mutex::new(None),
                    refused_logged: Mutex::new(None),
                };
                (id, line)
            })
            .collect();
        TwitterSink {
            lines,
            profiles,
            status,
            sent: SentIds::default(),
        }
    }

    /// Each account's ability to send, as this sink learns it.
    pub fn status(&self) -> SendStatus {
        self.status.clone()
    }

    /// Remembers every sent message's id in `sent` (the webhook asks it about echoes).
    pub fn remembering(mut self, sent: SentIds) -> TwitterSink {
        self.sent = sent;
        self
    }

    async fn deliver(&self, turn: &Outbound, message: &Message) -> Delivery {
        if turn.to.channel != Channel::Twitter {
            return Delivery::Failed(format!(
                "not a Twitter customer ({})",
                turn.to.channel.as_str()
            ));
        }
        if let Err(why) = fits(message) {
            return Delivery::Failed(why);
        }
        let Some(profile) = &message.profile else {
            return Delivery::Failed(
                "the message carries no Custom Profile; never sent unsigned".into(),
            );
        };
        let Some(line) = self.lines.get(&turn.account) else {
            return Delivery::Retry(format!(
                "held: account '{}' has no [accounts.{0}.twitter] credentials",
                turn.account.as_str()
            ));
        };
        let Some(platform_id) = self.profiles.resolve(&turn.account, profile) else {
            return Delivery::Retry(format!(
                "held: profile '{}' has no Custom Profile on Twitter yet",
                profile.id
            ));
        };
        if let Some(until) = line.limit_in_force(now_secs()) {
            return Delivery::Retry(format!("held: rate limited until {until} (epoch s)"));
        }
        let options: Vec<QuickOption<'_>> = message
            .quick_replies
            .iter()
            .map(|q| QuickOption {
                label: &q.label,
                metadata: &q.payload,
            })
            .collect();
        let sent = line
            .client
            .send_dm(
                turn.to.id.as_str(),
                &message.text,
                &options,
                Some(&platform_id),
            )
            .await;
        match sent {
            Ok(sent) => {
                self.sent.remember(&turn.account, &sent.id, message.id);
                if let Some(until) = sent.exhausted_until {
                    line.limit(until);
                }
                let until = sent
                    .exhausted_until
                    .map(|s| Timestamp(s.saturating_mul(1_000)));
                self.status.sent(&turn.account, until);
                tracing::debug!(conversation_id = %message.id.conversation, message_id = %message.id, event = %sent.id, "direct message sent");
                Delivery::Delivered
            }
            Err(ApiError::RateLimited { until }) => {
                // Without a reset, the platform's windows are 15 minutes; one minute is a
                // guess that errs on the side of trying again soon.
                let until = until.unwrap_or_else(|| now_secs() + 60);
                line.limit(until);
                self.status
                    .limited(&turn.account, Timestamp(until.saturating_mul(1_000)));
                Delivery::Retry(format!("rate limited until {until} (epoch s)"))
            }
            Err(e @ ApiError::Unavailable(_)) => Delivery::Retry(e.to_string()),
            Err(e @ (ApiError::CannotDm { .. } | ApiError::Rejected { .. })) => {
                Delivery::Failed(e.to_string())
            }
            Err(e @ ApiError::Credentials { .. }) => {
                line.refused(&turn.account, &e);
                if let ApiError::Credentials { message, .. } = &e {
                    let now = Timestamp(now_secs().saturating_mul(1_000));
                    self.status.refused(&turn.account, now, message.clone());
                }
                Delivery::Retry(format!("held: {e}"))
            }
            Err(e @ ApiError::Unreadable { .. }) => {
                // The platform took it: sending again would repeat the message to the customer.
                tracing::warn!(conversation_id = %message.id.conversation, message_id = %message.id, error = %e, "direct message accepted, answer unreadable");
                Delivery::Delivered
            }
        }
    }
}

impl Line {
    fn limit_in_force(&self, now: u64) -> Option<u64> {
        let mut until = self.limited_until.lock().unwrap_or_else(|p| p.into_inner());
        match *until {
            Some(u) if u > now => Some(u),
            Some(_) => {
                *until = None;
                None
            }
            None => None,
        }
    }

    fn limit(&self, to: u64) {
        let mut until = self.limited_until.lock().unwrap_or_else(|p| p.into_inner());
        *until = Some(until.map_or(to, |u| u.max(to)));
    }

    fn refused(&self, account: &AccountId, e: &ApiError) {
        let mut last = self
            .refused_logged
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|at| at.elapsed() >= REFUSED_LOG_EVERY) {
            *last = Some(Instant::now());
            tracing::error!(account = %account.as_str(), error = %e,
                "Twitter refuses the account's credentials; its messages are held");
        }
    }
}

impl Sink for TwitterSink {
    fn send<'a>(&'a self, turn: &'a Outbound, message: &'a Message) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let delivery = self.deliver(turn, message).await;
            let conversation = message.id.conversation;
            if let Delivery::Retry(_) = delivery {
                // This message and the rest of its turn wait; later turns of the conversation
                // are not counted, as the sink has not seen them.
                let at = turn.pending.iter().position(|m| m.id == message.id);
                let waiting = at.map_or(1, |i| turn.pending.len() - i);
                self.status.held(&turn.account, conversation, waiting);
            } else {
                self.status.moved(&turn.account, conversation);
            }
            delivery
        })
    }
}

/// Whether a message is within the platform's limits; never cut to fit.
pub fn fits(message: &Message) -> Result<(), String> {
    let chars = message.text.chars().count();
    if chars > MAX_TEXT {
        return Err(format!(
            "text of {chars} characters is over Twitter's {MAX_TEXT}; not sent (never cut)"
        ));
    }
    if message.quick_replies.len() > MAX_OPTIONS {
        return Err(format!(
            "{} quick replies are over Twitter's {MAX_OPTIONS}",
            message.quick_replies.len()
        ));
    }
    for q in &message.quick_replies {
        if q.label.chars().count() > MAX_LABEL {
            return Err(format!(
                "quick reply label '{}' is over {MAX_LABEL} characters",
                q.label
            ));
        }
        if q.payload.chars().count() > MAX_METADATA {
            return Err(format!(
                "quick reply '{}' has metadata over {MAX_METADATA} characters",
                q.label
            ));
        }
    }
    Ok(())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Author, ConversationId, MessageId, QuickReply, Timestamp};

    fn message(text: String, quick_replies: Vec<QuickReply>) -> Message {
        Message {
            id: MessageId {
                conversation: ConversationId(1),
                seq: 1,
            },
            from: Author::Bot,
            text,
            payload: None,
            quick_replies,
            profile: None,
            at: Timestamp(0),
            epoch: 0,
            attachments: Vec::new(),
        }
    }

    fn qr(label: &str, payload: &str) -> QuickReply {
        QuickReply {
            label: label.into(),
            payload: payload.into(),
        }
    }

    #[test]
    fn only_messages_within_the_limits_are_sent() {
        let cases: Vec<(&str, Message, bool)> = vec![
            ("short", message("Hi".into(), vec![]), true),
            (
                "10,000 characters",
                message("é".repeat(MAX_TEXT), vec![]),
                true,
            ),
            (
                "10,001 characters",
                message("a".repeat(MAX_TEXT + 1), vec![]),
                false,
            ),
            (
                "20 options",
                message("Hi".into(), vec![qr("a", "b"); 20]),
                true,
            ),
            (
                "21 options",
                message("Hi".into(), vec![qr("a", "b"); 21]),
                false,
            ),
            (
                "36-character label",
                message("Hi".into(), vec![qr(&"l".repeat(36), "b")]),
                true,
            ),
            (
                "37-character label",
                message("Hi".into(), vec![qr(&"l".repeat(37), "b")]),
                false,
            ),
            (
                "long metadata",
                message("Hi".into(), vec![qr("a", &"m".repeat(1_001))]),
                false,
            ),
        ];
        for (what, m, ok) in cases {
            assert_eq!(fits(&m).is_ok(), ok, "{what}");
        }
    }
}
