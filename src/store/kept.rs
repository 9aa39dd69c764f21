//! Events kept for an agent until it acknowledges them (`v` keys), as records of their own.
//!
//! Version 1 is a version byte then JSON of [`KeptRecord`]. Releases before it kept the frame
//! text they had sent, with no version byte (it starts with `{`): such a value is read back
//! as [`Kept::Frame`] and replayed as it is, so an upgrade loses no unacknowledged event.

use super::records::{
    same_variants, ConversationRef, CustomerRecord, MessageRecord, MessageRef, TicketRecord, Time,
};
use super::StoreError;
use crate::domain::{AccountId, Card, LetGo, Notice, SetAway, Withdrawn};
use serde::{Deserialize, Serialize};

const VERSION: u8 = 1;

/// An event kept for an agent, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    Notice(Box<Notice>),
    /// Kept by an earlier release: the protocol-1 frame as it was sent (its `seq` included).
    Frame(String),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum KeptRecord<'a> {
    Offer {
        conversation: CardRecord<'a>,
        expires_at: Time,
    },
    OfferWithdrawn {
        conversation: ConversationRef,
        why: WithdrawnRecord,
    },
    Assigned {
        conversation: CardRecord<'a>,
    },
    Message {
        conversation: ConversationRef,
        message: MessageRecord<'a>,
    },
    Closed {
        conversation: ConversationRef,
        why: LetGoRecord,
    },
    SetAway {
        why: SetAwayRecord,
    },
    Reminder {
        conversation: ConversationRef,
        requeue_at: Time,
    },
    Delivered {
        message: MessageRef,
    },
    DeliveryFailed {
        message: MessageRef,
        reason: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct CardRecord<'a> {
    id: ConversationRef,
    account: String,
    customer: CustomerRecord<'a>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ticket: Option<TicketRecord<'a>>,
    transcript: Vec<MessageRecord<'a>>,
    /// Absent (none left out) in what earlier releases kept, and when none were.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    earlier: bool,
}

/// The stored spellings of the reasons a kept event names.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum WithdrawnRecord {
    Declined,
    Timeout,
    AgentGone,
    CustomerLeft,
    TakenOutside,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum LetGoRecord {
    Released,
    Resolved,
    CustomerIdle,
    Transferred,
    NoFirstReply,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SetAwayRecord {
    OffersLapsed,
}

same_variants!(Withdrawn <=> WithdrawnRecord: Declined, Timeout, AgentGone, CustomerLeft, TakenOutside);
same_variants!(LetGo <=> LetGoRecord: Released, Resolved, CustomerIdle, Transferred, NoFirstReply);
same_variants!(SetAway <=> SetAwayRecord: OffersLapsed);

impl<'a> From<&'a Card> for CardRecord<'a> {
    fn from(c: &'a Card) -> CardRecord<'a> {
        CardRecord {
            id: c.id.into(),
            account: c.account.to_string(),
            customer: (&c.customer).into(),
            ticket: c.ticket.as_ref().map(TicketRecord::from),
            transcript: c.transcript.iter().map(MessageRecord::from).collect(),
            earlier: c.earlier,
        }
    }
}

impl From<CardRecord<'_>> for Card {
    fn from(c: CardRecord<'_>) -> Card {
        Card {
            id: c.id.into(),
            account: AccountId(c.account),
            customer: c.customer.into(),
            ticket: c.ticket.map(Into::into),
            transcript: c.transcript.into_iter().map(Into::into).collect(),
            earlier: c.earlier,
        }
    }
}

impl<'a> From<&'a Notice> for KeptRecord<'a> {
    fn from(n: &'a Notice) -> KeptRecord<'a> {
        match n {
            Notice::Offer {
                conversation,
                expires_at,
            } => KeptRecord::Offer {
                conversation: conversation.into(),
                expires_at: (*expires_at).into(),
            },
            Notice::OfferWithdrawn { conversation, why } => KeptRecord::OfferWithdrawn {
                conversation: (*conversation).into(),
                why: (*why).into(),
            },
            Notice::Assigned { conversation } => KeptRecord::Assigned {
                conversation: conversation.into(),
            },
            Notice::Message {
                conversation,
                message,
            } => KeptRecord::Message {
                conversation: (*conversation).into(),
                message: message.into(),
            },
            Notice::Closed { conversation, why } => KeptRecord::Closed {
                conversation: (*conversation).into(),
                why: (*why).into(),
            },
            Notice::SetAway { why } => KeptRecord::SetAway { why: (*why).into() },
            Notice::Reminder {
                conversation,
                requeue_at,
            } => KeptRecord::Reminder {
                conversation: (*conversation).into(),
                requeue_at: (*requeue_at).into(),
            },
            Notice::Delivered { message } => KeptRecord::Delivered {
                message: (*message).into(),
            },
            Notice::DeliveryFailed { message, reason } => KeptRecord::DeliveryFailed {
                message: (*message).into(),
                reason: reason.clone(),
            },
        }
    }
}

impl From<KeptRecord<'_>> for Notice {
    fn from(r: KeptRecord<'_>) -> Notice {
        match r {
            KeptRecord::Offer {
                conversation,
                expires_at,
            } => Notice::Offer {
                conversation: conversation.into(),
                expires_at: expires_at.into(),
            },
            KeptRecord::OfferWithdrawn { conversation, why } => Notice::OfferWithdrawn {
                conversation: conversation.into(),
                why: why.into(),
            },
            KeptRecord::Assigned { conversation } => Notice::Assigned {
                conversation: conversation.into(),
            },
            KeptRecord::Message {
                conversation,
                message,
            } => Notice::Message {
                conversation: conversation.into(),
                message: message.into(),
            },
            KeptRecord::Closed { conversation, why } => Notice::Closed {
                conversation: conversation.into(),
                why: why.into(),
            },
            KeptRecord::SetAway { why } => Notice::SetAway { why: why.into() },
            KeptRecord::Reminder {
                conversation,
                requeue_at,
            } => Notice::Reminder {
                conversation: conversation.into(),
                requeue_at: requeue_at.into(),
            },
            KeptRecord::Delivered { message } => Notice::Delivered {
                message: message.into(),
            },
            KeptRecord::DeliveryFailed { message, reason } => Notice::DeliveryFailed {
                message: message.into(),
                reason,
            },
        }
    }
}

impl super::Store {
    /// At most `limit` events kept for an agent, numbered above `after` and up to `upto`, in
    /// order: a replay reads them a page at a time, however many wait.
    pub fn agent_events_page(
        &self,
        agent: crate::domain::AgentId,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Kept)>, StoreError> {
        let mut page = Vec::new();
        for kv in self.agent_event_range(agent, after).take(limit) {
            let (k, v) = kv?;
            let seq = super::keys::agent_event_seq(&k);
            if seq > upto {
                break;
            }
            page.push((seq, decode(&k, &v)?));
        }
        Ok(page)
    }
}

pub fn encode(notice: &Notice) -> Vec<u8> {
    let mut out = vec![VERSION];
    // Serialising plain data to a Vec cannot fail; an error here would be a bug in a derive.
    if serde_json::to_writer(&mut out, &KeptRecord::from(notice)).is_err() {
        out.truncate(1);
    }
    out
}

pub fn decode(key: &[u8], value: &[u8]) -> Result<Kept, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        key: format!("{key:?}"),
        message,
    };
    match value.split_first() {
        Some((b'{', _)) => Ok(Kept::Frame(String::from_utf8_lossy(value).into_owned())),
        Some((&VERSION, json)) => {
            let record: KeptRecord =
                serde_json::from_slice(json).map_err(|e| corrupt(e.to_string()))?;
            Ok(Kept::Notice(Box::new(Notice::from(record))))
        }
        Some((v, _)) => Err(corrupt(format!("unknown kept event version {v}"))),
        None => Err(corrupt("empty kept event".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Author, Channel, ConversationId, Customer, CustomerId, Message, MessageId, Profile, Ticket,
        Timestamp,
    };

    fn notices() -> Vec<(&'static str, Notice)> {
        let c = ConversationId(4);
        let at = Timestamp(1_764_410_400_000);
        let id = |seq| MessageId {
            conversation: c,
            seq,
        };
        let message = Message {
            id: id(0),
            from: Author::Customer,
            text: "hi".into(),
            payload: Some("escalate".into()),
            quick_replies: Vec::new(),
            attachments: Vec::new(),
            profile: Some(Profile {
                id: "p".into(),
                name: "P".into(),
                avatar: "https://example.com/p.png".into(),
            }),
            at,
            epoch: 1,
        };
        let card = Card {
            id: c,
            account: AccountId::from("acme"),
            customer: Customer {
                channel: Channel::Webhook,
                id: CustomerId::from("u1"),
                name: None,
            },
            ticket: Some(Ticket::new("bot_stuck", 1, at, at)),
            transcript: vec![message.clone()],
            earlier: false,
        };
        vec![
            (
                "offer",
                Notice::Offer {
                    conversation: card.clone(),
                    expires_at: at,
                },
            ),
            (
                "offer_withdrawn",
                Notice::OfferWithdrawn {
                    conversation: c,
                    why: Withdrawn::Declined,
                },
            ),
            (
                "assigned",
                Notice::Assigned {
                    // An agent shown only the newest messages: `earlier` is kept too.
                    conversation: Card {
                        ticket: None,
                        earlier: true,
                        ..card
                    },
                },
            ),
            (
                "message",
                Notice::Message {
                    conversation: c,
                    message,
                },
            ),
            (
                "closed",
                Notice::Closed {
                    conversation: c,
                    why: LetGo::Transferred,
                },
            ),
            (
                "set_away",
                Notice::SetAway {
                    why: SetAway::OffersLapsed,
                },
            ),
            (
                "reminder",
                Notice::Reminder {
                    conversation: c,
                    requeue_at: at,
                },
            ),
            ("delivered", Notice::Delivered { message: id(2) }),
            (
                "delivery_failed",
                Notice::DeliveryFailed {
                    message: id(3),
                    reason: "HTTP 400: recipient unknown".into(),
                },
            ),
        ]
    }

    #[test]
    fn kept_events_keep_their_bytes_and_read_back() {
        for (name, notice) in notices() {
            let bytes = encode(&notice);
            assert_eq!(bytes[0], VERSION, "{name}");
            let json = std::str::from_utf8(&bytes[1..]).unwrap();
            crate::golden::check(&format!("store/kept_{name}"), json);
            assert_eq!(
                decode(b"v", &bytes).unwrap(),
                Kept::Notice(Box::new(notice))
            );
        }
    }

    #[test]
    fn frames_kept_by_earlier_releases_are_replayed_as_they_are() {
        let frame = r#"{"type":"closed","seq":3,"conversation_id":"c1","why":"resolved"}"#;
        assert_eq!(
            decode(b"v", frame.as_bytes()).unwrap(),
            Kept::Frame(frame.into())
        );
        assert!(decode(b"v", &[9, b'{']).is_err());
        assert!(decode(b"v", b"").is_err());
        let unknown = [
            &[VERSION][..],
            br#"{"kind":"closed","conversation":"c1","why":"bored"}"#,
        ]
        .concat();
        assert!(decode(b"v", &unknown).is_err());
    }

    #[test]
    fn a_replay_page_is_the_next_few_events_up_to_its_end_and_no_further() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(dir.path(), 1 << 20).unwrap();
        let (a, b) = (crate::domain::AgentId(1), crate::domain::AgentId(2));
        let away = Notice::SetAway {
            why: SetAway::OffersLapsed,
        };
        let mut set = super::super::WriteSet::default();
        for seq in 1..=10 {
            set.agent_event(a, seq, &away);
            set.agent_event(b, seq, &away);
        }
        store.write(set).unwrap();
        let seqs = |after, upto, limit| -> Vec<u64> {
            let page = store.agent_events_page(a, after, upto, limit).unwrap();
            page.into_iter().map(|(seq, _)| seq).collect()
        };
        assert_eq!(seqs(0, 10, 4), [1, 2, 3, 4]);
        assert_eq!(seqs(4, 10, 4), [5, 6, 7, 8]);
        assert_eq!(seqs(8, 10, 4), [9, 10]);
        assert_eq!(seqs(3, 6, 100), [4, 5, 6], "nothing past its end");
        assert_eq!(seqs(10, 10, 4), Vec::<u64>::new());
        let page = store.agent_events_page(a, 0, 1, 1).unwrap();
        assert_eq!(page, [(1, Kept::Notice(Box::new(away)))]);
    }
}
