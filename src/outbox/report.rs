//! Outcomes going back: what finally became of each message a person wrote, from a channel's
//! outbox runner to the engine, which tells the agent whose profile signed it.
//!
//! The channel is bounded and the runner never waits on it: a round's reports are offered with
//! `try_send`, and what does not fit stays with the runner ([`Unsent`]) until the engine makes
//! room. A failure not yet handed over holds the runner's watermark back, so if the daemon stops
//! first the turn is sent again after the restart and its failure reported then; a `delivered`
//! may be dropped when too many pile up (the message did go out; only the receipt is lost).

use crate::domain::{AccountId, Author, Message, MessageId};
use tokio::sync::mpsc;

/// What finally became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Refused for good, in the sink's words.
    Failed(String),
}

/// One message's outcome, with what the engine needs to find who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub account: AccountId,
    pub message: MessageId,
    /// The id of the profile it was signed with: an agent's, which names who is told.
    pub profile: String,
    pub outcome: Outcome,
}

impl Report {
    /// Only what a person's profile signed is reported: the bot's messages have nobody to tell.
    pub fn of(account: &AccountId, message: &Message, outcome: Outcome) -> Option<Report> {
        if message.from != Author::Agent {
            return None;
        }
        Some(Report {
            account: account.clone(),
            message: message.id,
            profile: message.profile.as_ref()?.id.clone(),
            outcome,
        })
    }
}

/// Batches (one per round and runner) the channel holds before runners keep theirs.
const CAPACITY: usize = 256;
/// Reports a runner keeps while the channel is full, before it drops `delivered` ones.
const MAX_UNSENT: usize = 16_384;
/// Batches the engine takes at once.
const TAKE: usize = 64;

/// The runners' side.
#[derive(Clone)]
pub struct ReportTx(mpsc::Sender<Vec<Report>>);

/// The engine's side.
pub struct ReportRx(mpsc::Receiver<Vec<Report>>);

pub fn channel() -> (ReportTx, ReportRx) {
    let (tx, rx) = mpsc::channel(CAPACITY);
    (ReportTx(tx), ReportRx(rx))
}

impl ReportRx {
    /// The next reports; never returns once every runner is gone, so it can sit in a select.
    pub async fn next(&mut self) -> Vec<Report> {
        let mut batches = Vec::new();
        if self.0.recv_many(&mut batches, TAKE).await == 0 {
            std::future::pending::<()>().await;
        }
        batches.into_iter().flatten().collect()
    }

    /// The reports already waiting, without waiting for more.
    pub fn ready(&mut self, into: &mut Vec<Report>) {
        while let Ok(batch) = self.0.try_recv() {
            into.extend(batch);
        }
    }
}

/// Reports a runner has not handed over yet, each with the turn its message came from.
#[derive(Debug, Default)]
pub struct Unsent {
    items: Vec<(u64, Report)>,
}

impl Unsent {
    pub fn push(&mut self, turn: u64, report: Report) {
        self.items.push((turn, report));
        if self.items.len() > MAX_UNSENT {
            let before = self.items.len();
            self.items.retain(|(_, r)| r.outcome != Outcome::Delivered);
            tracing::warn!(
                dropped = before - self.items.len(),
                "the engine is not taking delivery reports; dropped receipts of delivered messages"
            );
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The oldest turn with a failure not handed over: the watermark must not pass it.
    pub fn holds_back(&self) -> Option<u64> {
        self.items
            .iter()
            .filter(|(_, r)| r.outcome != Outcome::Delivered)
            .map(|(turn, _)| *turn)
            .min()
    }

    /// Hands everything over if the channel has room; never waits. Once the engine is gone
    /// nobody can be told, and nothing is kept.
    pub fn offer(&mut self, tx: &ReportTx) {
        if self.items.is_empty() {
            return;
        }
        match tx.0.try_reserve() {
            Ok(permit) => permit.send(self.take()),
            Err(mpsc::error::TrySendError::Full(())) => {}
            Err(mpsc::error::TrySendError::Closed(())) => self.items.clear(),
        }
    }

    /// Hands everything over into the room [`ReportTx::room`] waited for.
    pub fn fill(&mut self, room: Room<'_>) {
        room.0.send(self.take());
    }

    fn take(&mut self) -> Vec<Report> {
        std::mem::take(&mut self.items)
            .into_iter()
            .map(|(_, r)| r)
            .collect()
    }
}

/// A place for one batch in the channel, waited for.
pub struct Room<'a>(mpsc::Permit<'a, Vec<Report>>);

impl ReportTx {
    /// Waits until the channel has room for a batch; `None` once the engine is gone.
    pub async fn room(&self) -> Option<Room<'_>> {
        self.0.reserve().await.ok().map(Room)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConversationId, Profile, Timestamp};

    fn message(seq: u64, from: Author) -> Message {
        Message {
            id: MessageId {
                conversation: ConversationId(4),
                seq,
            },
            from,
            text: "hi".into(),
            payload: None,
            quick_replies: Vec::new(),
            profile: Some(Profile {
                id: "acme-a0".into(),
                name: "Sam".into(),
                avatar: String::new(),
            }),
            at: Timestamp(0),
            epoch: 1,
        }
    }

    fn report(seq: u64, outcome: Outcome) -> Report {
        let acme = AccountId::from("acme");
        Report::of(&acme, &message(seq, Author::Agent), outcome).unwrap()
    }

    #[test]
    fn only_what_a_person_signed_is_reported() {
        let acme = AccountId::from("acme");
        for (from, reported) in [
            (Author::Agent, true),
            (Author::Bot, false),
            (Author::System, false),
            (Author::Customer, false),
        ] {
            let r = Report::of(&acme, &message(1, from), Outcome::Delivered);
            assert_eq!(r.is_some(), reported, "{from:?}");
        }
        let mut unsigned = message(1, Author::Agent);
        unsigned.profile = None;
        assert_eq!(Report::of(&acme, &unsigned, Outcome::Delivered), None);
    }

    #[test]
    fn a_full_channel_keeps_failures_and_holds_the_watermark_back() {
        let (tx, mut rx) = channel();
        // Fill the channel: the engine is not taking anything.
        for _ in 0..CAPACITY {
            let mut one = Unsent::default();
            one.push(1, report(0, Outcome::Delivered));
            one.offer(&tx);
            assert!(one.is_empty());
        }
        let mut unsent = Unsent::default();
        unsent.push(7, report(1, Outcome::Delivered));
        unsent.push(9, report(2, Outcome::Failed("HTTP 400".into())));
        unsent.push(8, report(3, Outcome::Failed("HTTP 403".into())));
        unsent.offer(&tx);
        assert_eq!(unsent.holds_back(), Some(8));
        // Too many while full: receipts of delivered messages go, failures stay.
        for i in 0..MAX_UNSENT - 2 {
            unsent.push(10, report(10 + i as u64, Outcome::Delivered));
        }
        assert_eq!(unsent.items.len(), 2);
        assert_eq!(unsent.holds_back(), Some(8));
        // The engine takes what waits; now they fit.
        let mut taken = Vec::new();
        rx.ready(&mut taken);
        assert_eq!(taken.len(), CAPACITY);
        unsent.offer(&tx);
        assert!(unsent.is_empty());
        assert_eq!(unsent.holds_back(), None);
        let mut taken = Vec::new();
        rx.ready(&mut taken);
        let failed: Vec<_> = taken.iter().map(|r| r.message.seq).collect();
        assert_eq!(failed, [2, 3]);
    }

    #[test]
    fn nothing_is_kept_once_the_engine_is_gone() {
        let (tx, rx) = channel();
        drop(rx);
        let mut unsent = Unsent::default();
        unsent.push(3, report(1, Outcome::Failed("HTTP 400".into())));
        unsent.offer(&tx);
        assert!(unsent.is_empty());
    }
}
