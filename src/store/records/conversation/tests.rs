//! A conversation's record keeps what only some conversations have, and only when they have it.

use super::*;
use crate::domain::{ConversationId, Timestamp};

#[test]
fn an_answer_from_outside_is_kept_and_absent_when_there_is_none() {
    let customer = Customer {
        channel: Channel::Twitter,
        id: CustomerId::from("4001"),
        name: None,
    };
    let mut c = Conversation::new(ConversationId(3), "acme".into(), customer, Timestamp(5));
    let plain = serde_json::to_string(&SnapshotRecord::from(&c)).unwrap();
    assert!(!plain.contains("taken_outside"), "{plain}");
    c.taken_outside = Some(Outside {
        since: Timestamp(7),
        active_at: Timestamp(9),
    });
    let text = serde_json::to_string(&SnapshotRecord::from(&c)).unwrap();
    assert!(text.contains("\"taken_outside\""), "{text}");
    let back: SnapshotRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(Conversation::from(back), c);
}
