//! Outcomes going back: what finally became of each message a person wrote, from a channel's
//! outbox runner to the engine, which tells the agent whose profile signed it.
//!
//! The channel is bounded and the runner never waits on it: a round's reports are offered
//! without waiting, and what does not fit stays with the runner ([`Reporter`]) until the engine
//! makes room. A failure holds the runner's watermark back until the engine says it has written
//! the notice (each batch carries the runner's counter of kept batches), so if Baton stops or
//! crashes first, the turn is sent again after the restart and its failure reported then. A
//! `delivered` may be dropped when too many pile up (the message did go out; only the receipt
//! is lost), and after a restart may be reported twice.

use crate::domain::{AccountId, Author, Message, MessageId};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
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

/// One round's reports from one runner, numbered, with where the engine says it kept them.
pub struct Batch {
    pub reports: Vec<Report>,
    number: u64,
    kept: Arc<AtomicU64>,
}

impl Batch {
    /// The engine has written the notices these reports became: the runner may let the
    /// watermark pass their turns.
    pub fn kept(&self) {
        self.kept.fetch_max(self.number, Ordering::AcqRel);
    }
}

pub type BatchTx = mpsc::Sender<Batch>;

/// The engine's side.
pub struct ReportRx(mpsc::Receiver<Batch>);

pub fn channel() -> (BatchTx, ReportRx) {
    let (tx, rx) = mpsc::channel(CAPACITY);
    (tx, ReportRx(rx))
}

impl ReportRx {
    /// The next batches; never returns once every runner is gone, so it can sit in a select.
    pub async fn next(&mut self) -> Vec<Batch> {
        let mut batches = Vec::new();
        if self.0.recv_many(&mut batches, TAKE).await == 0 {
            std::future::pending::<()>().await;
        }
        batches
    }

    /// The batches already waiting, without waiting for more.
    pub fn ready(&mut self, into: &mut Vec<Batch>) {
        while let Ok(batch) = self.0.try_recv() {
            into.push(batch);
        }
    }
}

/// One runner's side: the reports it has not handed over yet, and the failures handed over
/// that the engine has not yet said it kept, each with the turn its message came from.
pub struct Reporter {
    tx: BatchTx,
    unsent: Vec<(u64, Report)>,
    /// Per batch handed over with failures in it: its number and its oldest such turn.
    unkept: Vec<(u64, u64)>,
    next: u64,
    kept: Arc<AtomicU64>,
}

/// A place for one batch in the channel, waited for.
pub struct Room(mpsc::OwnedPermit<Batch>);

impl Reporter {
    pub fn new(tx: BatchTx) -> Reporter {
        Reporter {
            tx,
            unsent: Vec::new(),
            unkept: Vec::new(),
            next: 1,
            kept: Arc::default(),
        }
    }

    pub fn push(&mut self, turn: u64, report: Report) {
        self.unsent.push((turn, report));
        if self.unsent.len() > MAX_UNSENT {
            let before = self.unsent.len();
            self.unsent.retain(|(_, r)| r.outcome != Outcome::Delivered);
            tracing::warn!(
                dropped = before - self.unsent.len(),
                "the engine is not taking delivery reports; dropped receipts of delivered messages"
            );
        }
    }

    /// Whether some reports wait for room.
    pub fn waiting(&self) -> bool {
        !self.unsent.is_empty()
    }

    /// The oldest turn with a failure the engine has not kept yet: the watermark must not
    /// pass it, so that if Baton stops first the turn is sent again and its failure reported.
    pub fn holds_back(&self) -> Option<u64> {
        let kept = self.kept.load(Ordering::Acquire);
        let unsent = self
            .unsent
            .iter()
            .filter(|(_, r)| r.outcome != Outcome::Delivered)
            .map(|(turn, _)| *turn);
        let unkept = self.unkept.iter().filter(|(n, _)| *n > kept);
        unsent.chain(unkept.map(|(_, turn)| *turn)).min()
    }

    /// Hands everything over if the channel has room; never waits. Once the engine is gone
    /// nobody can be told, and nothing is kept.
    pub fn offer(&mut self) {
        if self.unsent.is_empty() {
            return;
        }
        match self.tx.clone().try_reserve_owned() {
            Ok(permit) => self.fill(Room(permit)),
            Err(mpsc::error::TrySendError::Full(_)) => {}
            Err(mpsc::error::TrySendError::Closed(_)) => self.unsent.clear(),
        }
    }

    /// Waits until the channel has room for a batch; `None` once the engine is gone. The
    /// future borrows nothing, so the room can be filled from a `select!` arm.
    pub fn room(&self) -> impl std::future::Future<Output = Option<Room>> + 'static {
        let tx = self.tx.clone();
        async move { tx.reserve_owned().await.ok().map(Room) }
    }

    /// Hands everything over into the room waited for.
    pub fn fill(&mut self, room: Room) {
        let kept = self.kept.load(Ordering::Acquire);
        self.unkept.retain(|(n, _)| *n > kept);
        let number = self.next;
        self.next += 1;
        let unsent = std::mem::take(&mut self.unsent);
        let oldest_failure = unsent
            .iter()
            .filter(|(_, r)| r.outcome != Outcome::Delivered)
            .map(|(turn, _)| *turn)
            .min();
        if let Some(turn) = oldest_failure {
            self.unkept.push((number, turn));
        }
        room.0.send(Batch {
            reports: unsent.into_iter().map(|(_, r)| r).collect(),
            number,
            kept: self.kept.clone(),
        });
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
            attachments: Vec::new(),
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
    fn a_failure_holds_the_watermark_back_until_the_engine_kept_it() {
        let (tx, mut rx) = channel();
        // Fill the channel: the engine is not taking anything.
        let mut filler = Reporter::new(tx.clone());
        for _ in 0..CAPACITY {
            filler.push(1, report(0, Outcome::Delivered));
            filler.offer();
            assert!(!filler.waiting());
        }
        let mut r = Reporter::new(tx);
        r.push(7, report(1, Outcome::Delivered));
        r.push(9, report(2, Outcome::Failed("HTTP 400".into())));
        r.push(8, report(3, Outcome::Failed("HTTP 403".into())));
        r.offer();
        assert!(r.waiting());
        assert_eq!(r.holds_back(), Some(8));
        // Too many while full: receipts of delivered messages go, failures stay.
        for i in 0..MAX_UNSENT - 2 {
            r.push(10, report(10 + i as u64, Outcome::Delivered));
        }
        assert_eq!(r.unsent.len(), 2);
        // The engine takes what waits; now they fit, but are not kept yet.
        let mut taken = Vec::new();
        rx.ready(&mut taken);
        assert_eq!(taken.len(), CAPACITY);
        r.offer();
        assert!(!r.waiting());
        assert_eq!(r.holds_back(), Some(8));
        let mut taken = Vec::new();
        rx.ready(&mut taken);
        let seqs: Vec<_> = taken[0].reports.iter().map(|r| r.message.seq).collect();
        assert_eq!(seqs, [2, 3]);
        // Kept: the watermark may pass them.
        taken[0].kept();
        assert_eq!(r.holds_back(), None);
        // A batch with only delivered messages holds nothing back.
        r.push(11, report(40, Outcome::Delivered));
        r.offer();
        assert_eq!(r.holds_back(), None);
    }

    #[test]
    fn nothing_is_kept_once_the_engine_is_gone() {
        let (tx, rx) = channel();
        drop(rx);
        let mut r = Reporter::new(tx);
        r.push(3, report(1, Outcome::Failed("HTTP 400".into())));
        r.offer();
        assert!(!r.waiting());
        assert_eq!(r.holds_back(), None);
    }
}
