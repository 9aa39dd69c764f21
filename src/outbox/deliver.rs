//! One round of delivery: the turns split into per-conversation chains sent concurrently, each
//! chain strictly in order, a message retried with backoff before it holds its chain back, and
//! the outcomes (done, stuck, failed for good, people's reports) gathered for the runner.

use super::report::{Outcome, Report};
use super::{Delivery, Outbox, ATTEMPTS, BASE_DELAY};
use crate::domain::{ConversationId, Message};
use crate::metrics::SendResult;
use crate::store::{FailedRecord, Outbound};
use futures::future::join_all;
use std::collections::HashMap;
use std::time::Duration;

/// What one round of delivery achieved.
#[derive(Default)]
pub(super) struct Round {
    pub done: Vec<u64>,
    pub stuck: Vec<(u64, (ConversationId, usize))>,
    pub failed: Vec<FailedRecord>,
    /// Final outcomes of people's messages, with their turns.
    pub reports: Vec<(u64, Report)>,
}

impl Outbox {
    pub(super) async fn deliver(&self, turns: Vec<Outbound>) -> Round {
        let conversations: HashMap<u64, ConversationId> = turns
            .iter()
            .filter_map(|t| Some((t.seq, t.conversation()?)))
            .collect();
        let turns_of = |round: &Round| {
            round
                .done
                .iter()
                .chain(round.stuck.iter().map(|(seq, _)| seq))
                .filter_map(|seq| Some((*seq, (*conversations.get(seq)?, 0))))
                .collect::<Vec<_>>()
                .into_iter()
        };
        let mut order: Vec<ConversationId> = Vec::new();
        let mut chains: HashMap<ConversationId, Vec<Outbound>> = HashMap::new();
        for t in turns {
            let Some(id) = t.conversation() else {
                continue;
            };
            chains
                .entry(id)
                .or_insert_with(|| {
                    order.push(id);
                    Vec::new()
                })
                .push(t);
        }
        let chains = order.into_iter().filter_map(|id| chains.remove(&id));
        let mut round = Round::default();
        for r in join_all(chains.map(|chain| self.deliver_chain(chain))).await {
            round.done.extend(r.done);
            round.stuck.extend(r.stuck);
            round.failed.extend(r.failed);
            round.reports.extend(r.reports);
        }
        if let Err(e) = self.sink.flush().await {
            tracing::warn!(error = %e, "sink flush failed; the round will be sent again");
            let all: Vec<_> = turns_of(&round).collect();
            round = Round {
                stuck: all,
                ..Round::default()
            };
        }
        round
    }

    /// One conversation's turns, strictly in order: a message still failing after its retries
    /// holds back everything after it (all marked stuck) until the next round.
    async fn deliver_chain(&self, chain: Vec<Outbound>) -> Round {
        let mut round = Round::default();
        let mut blocked = false;
        // A later turn under a newer epoch means someone else holds the conversation now: a
        // bot message from before never reaches the customer after the handoff.
        let newest = chain
            .iter()
            .flat_map(|t| t.pending.iter().map(|m| m.epoch))
            .max()
            .unwrap_or(0);
        for turn in chain {
            let Some(conv) = turn.conversation() else {
                continue;
            };
            if blocked {
                round.stuck.push((turn.seq, (conv, turn.skipped)));
                continue;
            }
            let mut sent = 0;
            for message in &turn.pending {
                if message.epoch < newest && message.from == crate::domain::Author::Bot {
                    tracing::info!(message = %message.id, "bot message overtaken by a handoff; not sent");
                    round.failed.push(FailedRecord {
                        account: turn.account.clone(),
                        to: turn.to.clone(),
                        message: message.clone(),
                        error: "stale: the conversation changed hands before it was sent".into(),
                    });
                    sent += 1;
                    continue;
                }
                let report = |outcome| Report::of(&turn.account, message, outcome);
                let delivery = self.send_with_retry(&turn, message).await;
                self.metrics
                    .send(self.channel.into(), send_result(&delivery));
                match delivery {
                    Delivery::Delivered => {
                        round
                            .reports
                            .extend(report(Outcome::Delivered).map(|r| (turn.seq, r)));
                    }
                    Delivery::Failed(why) => {
                        tracing::warn!(message = %message.id, %why, "outbound message failed for good");
                        round
                            .reports
                            .extend(report(Outcome::Failed(why.clone())).map(|r| (turn.seq, r)));
                        round.failed.push(FailedRecord {
                            account: turn.account.clone(),
                            to: turn.to.clone(),
                            message: message.clone(),
                            error: why,
                        });
                    }
                    Delivery::Retry(why) => {
                        tracing::warn!(message = %message.id, %why, "outbound message still failing; will retry");
                        blocked = true;
                        break;
                    }
                }
                sent += 1;
            }
            if blocked {
                round.stuck.push((turn.seq, (conv, turn.skipped + sent)));
            } else {
                round.done.push(turn.seq);
            }
        }
        round
    }

    async fn send_with_retry(&self, turn: &Outbound, message: &Message) -> Delivery {
        let mut attempt = 0;
        loop {
            let result = self.sink.send(turn, message).await;
            attempt += 1;
            match result {
                Delivery::Retry(_) if attempt < ATTEMPTS => {
                    self.metrics.retry(self.channel.into());
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }
}

fn send_result(delivery: &Delivery) -> SendResult {
    match delivery {
        Delivery::Delivered => SendResult::Delivered,
        Delivery::Retry(_) => SendResult::Retried,
        Delivery::Failed(_) => SendResult::Failed,
    }
}

/// Exponential backoff with "equal jitter": half fixed, half random, so retries spread out.
fn backoff(attempt: u32) -> Duration {
    let full = BASE_DELAY * 2u32.pow(attempt.min(10));
    full / 2 + full.mul_f64(fastrand::f64() / 2.0)
}
