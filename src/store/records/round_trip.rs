//! Turns and checkpoints with any mix of empty optional fields, written packed and read back
//! equal. Packed, structs are arrays, where a field left out would shift the ones after it; the
//! golden files pin records with every field set, this covers the rest.

use super::golden::{at, event, full, message, ticket, with_agent};
use super::*;
use crate::domain::{
    AgentId, Attachment, AttachmentKind, Author, Outside, State, Ticket, Timestamp,
};
use proptest::prelude::*;

/// Bit `n` of `mask`: whether the `n`th optional field is emptied.
fn off(mask: u32, n: u32) -> bool {
    mask & (1 << n) != 0
}

fn thin_ticket(mask: u32) -> Ticket {
    let mut t = ticket();
    if off(mask, 0) {
        t.skills.clear();
    }
    if off(mask, 1) {
        t.note = None;
    }
    if off(mask, 2) {
        t.told_at = None;
    }
    if off(mask, 3) {
        t.patience_from = None;
    }
    if off(mask, 4) {
        t.apologies = 0;
    }
    t
}

fn state(which: u8, mask: u32) -> State {
    match which {
        0 => State::Bot,
        1 => State::Queued(thin_ticket(mask)),
        2 => State::Offered {
            ticket: thin_ticket(mask),
            agent: AgentId(1),
            expires_at: at(12),
        },
        3 => {
            let mut state = with_agent();
            if let State::WithAgent {
                priority,
                replied,
                nudged,
                heard_at,
                name,
                ..
            } = &mut state
            {
                if off(mask, 5) {
                    *priority = 0;
                }
                *replied &= !off(mask, 6);
                *nudged &= !off(mask, 7);
                if off(mask, 8) {
                    *heard_at = None;
                }
                if off(mask, 9) {
                    name.clear();
                }
            }
            state
        }
        _ => State::Closed,
    }
}

fn conversation(which: u8, mask: u32) -> Conversation {
    let mut c = full(state(which, mask));
    if off(mask, 10) {
        c.customer.name = None;
    }
    if off(mask, 11) {
        c.declined.clear();
    }
    if off(mask, 12) {
        c.routing[0].named_by = None;
    }
    if off(mask, 13) {
        c.routing[0].passed_over.clear();
    }
    if off(mask, 14) {
        c.routing.clear();
    }
    if off(mask, 15) {
        c.rule = None;
    }
    if off(mask, 16) {
        c.bot_since = None;
    }
    if let Some(f) = c.follow_up.as_mut().filter(|_| off(mask, 17)) {
        f.message = None;
    }
    if off(mask, 18) {
        c.follow_up = None;
    }
    if !off(mask, 19) {
        c.taken_outside = Some(Outside {
            since: at(20),
            active_at: at(21),
        });
    }
    if off(mask, 20) {
        c.deadline = None;
    }
    c
}

const AUTHORS: [Author; 5] = [
    Author::Customer,
    Author::Bot,
    Author::Agent,
    Author::System,
    Author::Outside,
];

fn messages(mask: u32, count: usize) -> Vec<Message> {
    (0..count)
        .map(|i| {
            let mut m = message();
            m.at = Timestamp(m.at.0 + i as u64);
            m.from = AUTHORS[(mask as usize + i) % AUTHORS.len()];
            let bits = mask.rotate_left(4 * i as u32);
            if off(bits, 0) {
                m.payload = None;
            }
            if off(bits, 1) {
                m.quick_replies.clear();
            }
            if !off(bits, 2) {
                m.attachments.push(Attachment {
                    kind: AttachmentKind::Photo,
                    url: "https://example.com/p.jpg".into(),
                });
            }
            if off(bits, 3) {
                m.profile = None;
            }
            m
        })
        .collect()
}

proptest! {
    #[test]
    fn turns_read_back_equal_whatever_is_empty(
        which in 0u8..5,
        mask in any::<u32>(),
        message_mask in any::<u32>(),
        count in 0usize..4,
        with_event in any::<bool>(),
    ) {
        let turn = TurnRecord {
            event: with_event.then(event),
            conversation: conversation(which, mask),
            messages: messages(message_mask, count),
        };
        let bytes = encode(&turn);
        prop_assert_eq!(bytes[0], PACKED);
        prop_assert_eq!(decode::<TurnRecord>(b"t", &bytes).unwrap(), turn);
    }

    #[test]
    fn checkpoints_read_back_equal_whatever_is_empty(
        which in 0u8..5,
        mask in any::<u32>(),
        tail in proptest::collection::vec(any::<u64>(), 0..4),
        paged in prop_oneof![Just(0u64), any::<u64>()],
    ) {
        let record = ConversationRecord {
            conversation: conversation(which, mask),
            turns: TurnList { paged, tail },
        };
        let bytes = encode(&record);
        prop_assert_eq!(decode::<ConversationRecord>(b"c", &bytes).unwrap(), record);
    }
}

/// What a field added at the end of a struct looks like to the records written before it: a
/// shorter array, its missing trailing field read as its default.
#[test]
fn a_shorter_array_reads_its_missing_trailing_field_as_the_default() {
    let record = ConversationRecord {
        conversation: full(with_agent()),
        turns: TurnList {
            paged: 0,
            tail: vec![1, 2],
        },
    };
    let bytes = encode(&record);
    // [conversation, turns, paged]: a fixarray of 3 whose last element is the 0 of `paged`.
    assert_eq!((bytes[1], bytes[bytes.len() - 1]), (0x93, 0x00));
    let mut short = bytes[..bytes.len() - 1].to_vec();
    short[1] = 0x92;
    assert_eq!(decode::<ConversationRecord>(b"c", &short).unwrap(), record);
}
