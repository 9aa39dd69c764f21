//! The conversation as releases before version 5 wrote it: a map, its state's fields flattened
//! into it (`"state": "queued"` beside the ticket's). Serde writes a struct with a flattened
//! field as a map in every format, so even packed (version 4) each of its fields carried its
//! name: most of a turn's bytes. Only read, through [`either_shape`], and moved field for field
//! into the record of today.

use super::{
    CustomerRecord, FollowUpRecord, OutsideRecord, RoutingNoteRecord, SnapshotRecord, StateRecord,
    TicketRecord,
};
use crate::store::records::text::{AgentRef, ConversationRef, Time};
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// A snapshot field that reads either shape: an array (version 5) as it is, a map (versions 2
/// to 4: JSON, named or packed MessagePack) as the flattened record it was written as.
pub fn either_shape<'de, 'a, D: Deserializer<'de>>(d: D) -> Result<SnapshotRecord<'a>, D::Error> {
    struct Either<'a>(std::marker::PhantomData<SnapshotRecord<'a>>);

    impl<'de, 'a> Visitor<'de> for Either<'a> {
        type Value = SnapshotRecord<'a>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a conversation, as an array or a map")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            SnapshotRecord::deserialize(SeqAccessDeserializer::new(seq))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Flattened::deserialize(MapAccessDeserializer::new(map)).map(Into::into)
        }
    }

    d.deserialize_any(Either(std::marker::PhantomData))
}

#[derive(Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum FlatState<'a> {
    Bot,
    Queued(TicketRecord<'a>),
    Offered {
        ticket: TicketRecord<'a>,
        agent: AgentRef,
        expires_at: Time,
    },
    WithAgent {
        agent: AgentRef,
        since: Time,
        #[serde(default)]
        priority: u8,
        #[serde(default)]
        replied: bool,
        #[serde(default)]
        nudged: bool,
        #[serde(default)]
        heard_at: Option<Time>,
        #[serde(default)]
        name: Cow<'a, str>,
    },
    Closed,
}

#[derive(Deserialize)]
struct Flattened<'a> {
    id: ConversationRef,
    account: Cow<'a, str>,
    customer: CustomerRecord<'a>,
    #[serde(flatten)]
    state: FlatState<'a>,
    episode: u32,
    epoch: u64,
    fallbacks: u32,
    greeted: bool,
    next_seq: u64,
    #[serde(default)]
    declined: Vec<AgentRef>,
    #[serde(default)]
    routing: Vec<RoutingNoteRecord>,
    #[serde(default)]
    rule: Option<Cow<'a, str>>,
    #[serde(default)]
    bot_since: Option<Time>,
    #[serde(default)]
    follow_up: Option<FollowUpRecord>,
    #[serde(default)]
    taken_outside: Option<OutsideRecord>,
    #[serde(default)]
    deadline: Option<Time>,
    opened_at: Time,
    updated_at: Time,
    revision: u64,
}

impl<'a> From<FlatState<'a>> for StateRecord<'a> {
    fn from(s: FlatState<'a>) -> Self {
        match s {
            FlatState::Bot => StateRecord::Bot,
            FlatState::Queued(t) => StateRecord::Queued(t),
            FlatState::Offered {
                ticket,
                agent,
                expires_at,
            } => StateRecord::Offered {
                ticket,
                agent,
                expires_at,
            },
            FlatState::WithAgent {
                agent,
                since,
                priority,
                replied,
                nudged,
                heard_at,
                name,
            } => StateRecord::WithAgent {
                agent,
                since,
                priority,
                replied,
                nudged,
                heard_at,
                name,
            },
            FlatState::Closed => StateRecord::Closed,
        }
    }
}

impl<'a> From<Flattened<'a>> for SnapshotRecord<'a> {
    fn from(c: Flattened<'a>) -> Self {
        SnapshotRecord {
            id: c.id,
            account: c.account,
            customer: c.customer,
            state: c.state.into(),
            episode: c.episode,
            epoch: c.epoch,
            fallbacks: c.fallbacks,
            greeted: c.greeted,
            next_seq: c.next_seq,
            declined: c.declined,
            routing: c.routing,
            rule: c.rule,
            bot_since: c.bot_since,
            follow_up: c.follow_up,
            taken_outside: c.taken_outside,
            deadline: c.deadline,
            opened_at: c.opened_at,
            updated_at: c.updated_at,
            revision: c.revision,
        }
    }
}
