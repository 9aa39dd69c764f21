//! Turning one input's effects into turn records: the only writes on the hot path.

use super::Engine;
use crate::domain::{Conversation, ConversationId, Effect, Message, Timestamp};
use crate::store::{EventRef, Outbound, TurnRecord, WriteSet};

/// One conversation's share of an input's effects.
struct Share {
    id: ConversationId,
    snapshot: Option<Conversation>,
    messages: Vec<Message>,
}

impl Engine {
    /// Writes one turn per conversation the input touched: the event (on the first), the
    /// conversation as the input left it, and its messages. Turns with something to send are
    /// added to `outgoing` for the outbox's live feed.
    pub(super) fn write_turns(
        &mut self,
        effects: Vec<Effect>,
        mut event: Option<EventRef>,
        now: Timestamp,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) {
        self.measure.effects(&effects, now);
        let mut shares: Vec<Share> = Vec::new();
        for effect in effects {
            let (id, snapshot, message) = match effect {
                Effect::Save(c) => (c.id, Some(c), None),
                Effect::Record(m) => (m.id.conversation, None, Some(m)),
                Effect::Send { message, .. } => (message.id.conversation, None, Some(message)),
                Effect::Schedule { timer, from, to } => {
                    self.schedule.apply(timer, from, to, set);
                    continue;
                }
                other @ (Effect::Notify { .. } | Effect::Refuse { .. }) => {
                    // For agents: carried out once the batch is written (see `people`).
                    self.people.later(other);
                    continue;
                }
            };
            let i = match shares.iter().position(|s| s.id == id) {
                Some(i) => i,
                None => {
                    shares.push(Share {
                        id,
                        snapshot: None,
                        messages: Vec::new(),
                    });
                    shares.len() - 1
                }
            };
            let share = &mut shares[i];
            share.messages.extend(message);
            if snapshot.is_some() {
                share.snapshot = snapshot;
            }
        }
        for share in shares {
            let Some(conversation) = share
                .snapshot
                .or_else(|| self.desk.conversation(share.id).cloned())
            else {
                continue;
            };
            let seq = self.next_turn;
            self.next_turn += 1;
            let mut turn = TurnRecord {
                event: event.take(),
                conversation,
                messages: share.messages,
            };
            set.turn(seq, &turn);
            self.transcripts.entry(share.id).or_default().push(seq);
            self.checkpoint.touch(share.id, seq, now);
            if let Some(e) = turn.event.take() {
                self.seen.insert(&e, seq);
                self.checkpoint.event(e, seq, now);
            }
            outgoing.extend(Outbound::take_turn(seq, turn));
        }
    }
}
