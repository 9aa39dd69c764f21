//! One round of delivery: the turns split into per-conversation chains sent concurrently, each
//! chain strictly in order, a message retried with backoff before it holds its chain back, and
//! the outcomes (done, stuck, failed for good, people's reports) gathered for the runner. A
//! conversation that keeps failing is tried once when its wait is over, not at all before
//! (see [`super::failing`]).

use super::failing::{Failing, Try};
use super::report::{Outcome, Report};
use super::{Delivery, Outbox, Stuck, ATTEMPTS, BASE_DELAY};
use crate::domain::{ConversationId, Message};
use crate::metrics::SendResult;
use crate::store::{FailedRecord, Outbound};
use foldhash::{HashMap, HashMapExt};
use futures::future::join_all;
use std::time::Duration;
use tokio::time::Instant;

/// What one round of delivery achieved.
#[derive(Default)]
pub(super) struct Round {
    pub done: Vec<u64>,
    pub stuck: Vec<(u64, Stuck)>,
    pub failed: Vec<FailedRecord>,
    /// Final outcomes of people's messages, with their turns.
    pub reports: Vec<(u64, Report)>,
    /// Conversations tried this round: `None` when all they had went out, else the error that
    /// holds them back.
    pub tried: Vec<(ConversationId, Option<String>)>,
}

impl Outbox {
    pub(super) async fn deliver(&self, turns: Vec<Outbound>, failing: &Failing) -> Round {
        let conversations: HashMap<u64, (ConversationId, usize)> = turns
            .iter()
            .filter_map(|t| Some((t.seq, (t.conversation()?, t.pending.len()))))
            .collect();
        let turns_of = |round: &Round| {
            round
                .done
                .iter()
                .chain(round.stuck.iter().map(|(seq, _)| seq))
                .filter_map(|seq| {
                    let (conversation, left) = *conversations.get(seq)?;
                    let stuck = Stuck {
                        conversation,
                        sent: 0,
                        left,
                    };
                    Some((*seq, stuck))
                })
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
        let now = Instant::now();
        let chains = order
            .into_iter()
            .filter_map(|id| Some((failing.try_of(id, now), chains.remove(&id)?)));
        let mut round = Round::default();
        for r in join_all(chains.map(|(how, chain)| self.deliver_chain(chain, how))).await {
            round.done.extend(r.done);
            round.stuck.extend(r.stuck);
            round.failed.extend(r.failed);
            round.reports.extend(r.reports);
            round.tried.extend(r.tried);
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
    /// holds back everything after it (all marked stuck) until a later round.
    async fn deliver_chain(&self, chain: Vec<Outbound>, how: Try) -> Round {
        let mut round = Round::default();
        let attempts = match how {
            Try::Fully => ATTEMPTS,
            Try::Once => 1,
            Try::Wait => 0,
        };
        let mut blocked = attempts == 0;
        let mut error = None;
        let mut conversation = None;
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
            conversation = Some(conv);
            if blocked {
                let stuck = Stuck {
                    conversation: conv,
                    sent: turn.skipped,
                    left: turn.pending.len(),
                };
                round.stuck.push((turn.seq, stuck));
                continue;
            }
            let mut sent = 0;
            for message in &turn.pending {
                if message.epoch < newest && message.from == crate::domain::Author::Bot {
                    tracing::info!(
                        conversation_id = %conv,
                        message_id = %message.id,
                        "bot message overtaken by a handoff; not sent"
                    );
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
                let delivery = self.send_with_retry(&turn, message, attempts).await;
                self.metrics
                    .send(self.channel.into(), send_result(&delivery));
                match delivery {
                    Delivery::Delivered => {
                        round
                            .reports
                            .extend(report(Outcome::Delivered).map(|r| (turn.seq, r)));
                    }
                    Delivery::Failed(why) => {
                        tracing::warn!(
                            conversation_id = %conv,
                            message_id = %message.id,
                            %why,
                            "outbound message failed for good"
                        );
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
                        // The channel's summary line tells the operator; one line per try
                        // would be hundreds a minute in an outage.
                        tracing::debug!(
                            conversation_id = %conv,
                            message_id = %message.id,
                            %why,
                            "outbound message still failing; will retry"
                        );
                        error = Some(why);
                        blocked = true;
                        break;
                    }
                }
                sent += 1;
            }
            if blocked {
                let stuck = Stuck {
                    conversation: conv,
                    sent: turn.skipped + sent,
                    left: turn.pending.len() - sent,
                };
                round.stuck.push((turn.seq, stuck));
            } else {
                round.done.push(turn.seq);
            }
        }
        // A conversation left waiting was not tried: its wait goes on unchanged.
        if let (Some(id), false) = (conversation, how == Try::Wait) {
            round.tried.push((id, error));
        }
        round
    }

    async fn send_with_retry(&self, turn: &Outbound, message: &Message, attempts: u32) -> Delivery {
        let mut attempt = 0;
        loop {
            let result = self.sink.send(turn, message).await;
            attempt += 1;
            match result {
                Delivery::Retry(_) if attempt < attempts => {
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
