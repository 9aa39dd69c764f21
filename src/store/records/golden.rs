//! Golden bytes: each record, built by hand from domain values, must encode to exactly these
//! bytes (the version byte, then JSON, or for packed records MessagePack, pinned in
//! `tests/fixtures/golden/store/*.v5` as hex with a JSON rendering beside it for review) and
//! decode back to the same value. A field renamed in the domain but not in a record mapping, or
//! a record changed without a new version, fails here. The JSON bytes are what the releases
//! that stored domain types as JSON wrote; for packed records they, the `*.v4` files (packed,
//! the conversation a map) and the `*.v3` files (named MessagePack) are what earlier releases
//! wrote, and must still decode to the same value.

mod bytes;

use super::*;
use crate::domain::{
    Agent, AgentId, Author, ConversationId, CustomerId, FollowUp, MessageId, Passed, PassedOver,
    Profile, QuickReply, RoutingNote, State, Ticket, Timestamp,
};
use bytes::*;

const T: u64 = 1_795_950_000_000; // 2026-11-29T11:00:00Z

pub(super) fn at(offset_ms: u64) -> Timestamp {
    Timestamp(T + offset_ms)
}

pub(super) fn customer() -> Customer {
    Customer {
        channel: Channel::Webhook,
        id: CustomerId("u1".into()),
        name: Some("Jo".into()),
    }
}

pub(super) fn ticket() -> Ticket {
    Ticket {
        reason: "frustrated".into(),
        priority: 5,
        skills: vec!["retention".into()],
        queued_at: at(1),
        note: Some("wants a refund".into()),
        told_at: Some(at(2)),
        patience_from: Some(at(3)),
        apologies: 1,
    }
}

pub(super) fn profile() -> Profile {
    Profile {
        id: "acme-a1".into(),
        name: "Ann, Acme".into(),
        avatar: "https://example.com/a.png".into(),
    }
}

/// Every optional field set.
pub(super) fn full(state: State) -> Conversation {
    let mut c = Conversation::new(
        ConversationId(7),
        AccountId::from("acme"),
        customer(),
        at(0),
    );
    c.state = state;
    c.episode = 2;
    c.epoch = 3;
    c.fallbacks = 1;
    c.greeted = true;
    c.next_seq = 9;
    c.declined = vec![AgentId(2)];
    c.routing = vec![RoutingNote {
        at: at(4),
        offered_to: AgentId(1),
        named_by: Some(AgentId(3)),
        passed_over: vec![PassedOver {
            why: Passed::MissingSkill,
            count: 2,
            agents: vec![AgentId(4), AgentId(5)],
        }],
    }];
    c.rule = Some("angry".into());
    c.bot_since = Some(at(5));
    c.follow_up = Some(FollowUp {
        since: at(6),
        message: Some(MessageId {
            conversation: ConversationId(7),
            seq: 8,
        }),
    });
    c.deadline = Some(at(7));
    c.updated_at = at(8);
    c.revision = 4;
    c
}

pub(super) fn with_agent() -> State {
    State::WithAgent {
        agent: AgentId(1),
        since: at(9),
        priority: 5,
        replied: true,
        nudged: true,
        heard_at: Some(at(10)),
        name: "Ann".into(),
    }
}

pub(super) fn message() -> Message {
    Message {
        id: MessageId {
            conversation: ConversationId(7),
            seq: 8,
        },
        from: Author::Bot,
        text: "You can track any order.".into(),
        payload: Some("escalate".into()),
        quick_replies: vec![QuickReply {
            label: "Talk to a person".into(),
            payload: "escalate".into(),
        }],
        attachments: Vec::new(),
        profile: Some(profile()),
        at: at(11),
        epoch: 3,
    }
}

pub(super) fn event() -> EventRef {
    EventRef {
        account: AccountId::from("acme"),
        channel: Channel::Webhook,
        id: EventId::from("e1"),
    }
}

/// Encodes to `json` after version 2, and decodes back to the same value.
fn golden<T: Record + PartialEq + std::fmt::Debug>(value: T, json: &str) {
    let bytes = encode(&value);
    assert_eq!(bytes[0], T::WRITTEN, "the version byte");
    let got = String::from_utf8(bytes[1..].to_vec()).unwrap();
    assert_eq!(got, json, "the bytes of {value:?}");
    let back: T = decode(b"k", &bytes).unwrap();
    assert_eq!(back, value);
}

/// A packed record: its bytes are pinned in the golden file `store/<name>.v5` (hex, then the
/// same value rendered as JSON), it decodes back to the same value, and so do what earlier
/// releases wrote for it: `store/<name>.v4` (packed, the conversation a map) and
/// `store/<name>.v3` (named MessagePack) when there are, and `v2_json`.
fn packed<T: Record + PartialEq + std::fmt::Debug>(value: T, name: &str, v2_json: &str) {
    let bytes = encode(&value);
    assert_eq!(bytes[0], PACKED, "the version byte");
    let seen: serde_json::Value = rmp_serde::from_slice(&bytes[1..]).unwrap();
    let hex = hex::encode(&bytes);
    let lines: Vec<&str> = (0..hex.len())
        .step_by(64)
        .map(|i| &hex[i..(i + 64).min(hex.len())])
        .collect();
    let pretty = serde_json::to_string_pretty(&seen).unwrap();
    crate::golden::check_file(
        &format!("store/{name}.v5"),
        &format!("{}\n\n{pretty}", lines.join("\n")),
    );
    assert_eq!(
        decode::<T>(b"k", &bytes).unwrap(),
        value,
        "{name} read back"
    );
    for (version, file) in [(PACKED_MAP, "v4"), (NAMED, "v3")] {
        if let Some(earlier) = golden_hex(&format!("store/{name}.{file}")) {
            assert_eq!(earlier[0], version, "{name}.{file}: the version byte");
            assert_eq!(
                decode::<T>(b"k", &earlier).unwrap(),
                value,
                "{name} as {file}"
            );
        }
    }
    let mut v2 = vec![2];
    v2.extend(v2_json.as_bytes());
    assert_eq!(
        decode::<T>(b"k", &v2).unwrap(),
        value,
        "{name} as version 2"
    );
}

/// The bytes of a golden file written by [`packed`] (its hex lines, up to the blank line), if
/// the file exists.
fn golden_hex(file: &str) -> Option<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/golden")
        .join(file);
    let text = std::fs::read_to_string(path).ok()?;
    let hex: String = text.lines().take_while(|l| !l.is_empty()).collect();
    Some(hex::decode(hex).expect("hex"))
}

#[test]
fn turns_pin_their_bytes_in_every_state() {
    let cases = [
        (full(with_agent()), "turn_with_agent", GOLDEN_WITH_AGENT),
        (
            full(State::Offered {
                ticket: ticket(),
                agent: AgentId(1),
                expires_at: at(12),
            }),
            "turn_offered",
            GOLDEN_OFFERED,
        ),
        (full(State::Queued(ticket())), "turn_queued", GOLDEN_QUEUED),
        (full(State::Closed), "turn_closed", GOLDEN_CLOSED),
        (
            Conversation::new(
                ConversationId(0),
                AccountId::from("acme"),
                customer(),
                at(0),
            ),
            "turn_new",
            GOLDEN_NEW,
        ),
    ];
    for (conversation, name, json) in cases {
        let turn = TurnRecord {
            event: Some(event()),
            conversation,
            messages: vec![message()],
        };
        packed(turn, name, json);
    }
}

#[test]
fn the_other_records_pin_their_bytes() {
    packed(
        TurnRecord {
            event: None,
            conversation: Conversation::new(
                ConversationId(0),
                AccountId::from("acme"),
                customer(),
                at(0),
            ),
            messages: Vec::new(),
        },
        "turn_bare",
        GOLDEN_BARE_TURN,
    );
    packed(
        ConversationRecord {
            conversation: full(with_agent()),
            turns: vec![0, 3, 5].into(),
        },
        "checkpoint",
        GOLDEN_CHECKPOINT,
    );
    // A long history: its oldest turns in pages, the record names how many.
    packed(
        ConversationRecord {
            conversation: full(with_agent()),
            turns: crate::store::TurnList {
                paged: 1024,
                tail: vec![2000, 2003],
            },
        },
        "checkpoint_paged",
        &GOLDEN_CHECKPOINT.replace(
            r#""turns":[0,3,5]}"#,
            r#""turns":[2000,2003],"paged":1024}"#,
        ),
    );
    golden(
        EventBucket {
            written_at: at(13),
            events: vec![(event(), 4)],
        },
        GOLDEN_BUCKET,
    );
    golden(
        FailedRecord {
            account: AccountId::from("acme"),
            to: customer(),
            message: message(),
            error: "400 Bad Request".into(),
        },
        GOLDEN_FAILED,
    );
}

fn agent(status: AgentStatus, token_sha256: &str) -> AgentRecord {
    AgentRecord {
        agent: Agent {
            id: AgentId(1),
            account: AccountId::from("acme"),
            name: "Ann".into(),
            profile: profile(),
            skills: vec!["billing".into()],
            capacity: 2,
        },
        token_sha256: token_sha256.into(),
        status,
    }
}

#[test]
fn agents_pin_their_bytes_in_every_status_and_version_2_reads_as_active() {
    assert_eq!(<AgentRecord as Record>::WRITTEN, 3);
    golden(agent(AgentStatus::Active, "ab12"), GOLDEN_AGENT_V3);
    golden(
        agent(AgentStatus::Disabled, "ab12"),
        GOLDEN_AGENT_V3_DISABLED,
    );
    golden(agent(AgentStatus::Removed, ""), GOLDEN_AGENT_V3_REMOVED);
    // What earlier releases wrote (version 2, no status) still loads, as an active agent.
    let mut v2 = vec![2];
    v2.extend(GOLDEN_AGENT.as_bytes());
    let back: AgentRecord = decode(b"a", &v2).unwrap();
    assert_eq!(back, agent(AgentStatus::Active, "ab12"));
    for bad in [&[4, b'{', b'}'][..], &[1, b'{', b'}'][..]] {
        let got = decode::<AgentRecord>(b"a", bad);
        assert!(matches!(got, Err(StoreError::Corrupt { .. })), "{bad:?}");
    }
}

#[test]
fn platform_profiles_pin_their_bytes() {
    let mut record = PlatformProfile {
        account: AccountId::from("acme"),
        local: "acme-bot".into(),
        name: "Acme (bot)".into(),
        avatar: "https://example.com/b.png".into(),
        platform_id: "100002".into(),
        retired: Vec::new(),
    };
    golden(record.clone(), GOLDEN_PLATFORM_PROFILE);
    record.retired.push(RetiredProfile {
        platform_id: "100001".into(),
        name: "Acme".into(),
        avatar: "https://example.com/a.png".into(),
        until_turn: 42,
    });
    golden(record, GOLDEN_PLATFORM_PROFILE_RETIRED);
}

#[test]
fn a_packed_message_id_is_exactly_two_numbers() {
    let read = |bytes: Vec<u8>| rmp_serde::from_slice::<MessageRef>(&bytes);
    let pack = |numbers: &[u64]| rmp_serde::to_vec(numbers).unwrap();
    let two = read(pack(&[7, 8])).unwrap();
    assert_eq!((two.conversation, two.seq), (7, 8));
    assert!(read(pack(&[7])).is_err(), "one number");
    assert!(read(pack(&[7, 8, 9])).is_err(), "three numbers");
    assert!(
        read(rmp_serde::to_vec("c7-8").unwrap()).is_ok(),
        "the text form"
    );
}

#[test]
fn unknown_versions_and_empty_values_are_corrupt() {
    for value in [&[][..], &[1, b'{', b'}'][..], &[3, b'{', b'}'][..]] {
        let got = decode::<EventBucket>(b"e", value);
        assert!(matches!(got, Err(StoreError::Corrupt { .. })), "{value:?}");
    }
    // A packed record: an unknown version, JSON under the packed version, a cut-short value.
    let whole = encode(&ConversationRecord {
        conversation: full(with_agent()),
        turns: vec![0, 3, 5].into(),
    });
    let cut = &whole[..whole.len() / 2];
    for value in [
        &[PACKED + 1, 0x80][..],
        &[PACKED, b'{', b'}'][..],
        cut,
        &[PACKED][..],
    ] {
        let got = decode::<ConversationRecord>(b"c", value);
        assert!(matches!(got, Err(StoreError::Corrupt { .. })), "{value:?}");
    }
}
