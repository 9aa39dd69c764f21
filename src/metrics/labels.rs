//! The label values of Baton's metrics: small closed sets, each spelled once here. A call site
//! names a variant, never a string, so a label value cannot drift or carry customer data.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use std::fmt::Write;

/// A closed set of label values with their spellings, and their encoding.
macro_rules! label_values {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl EncodeLabelValue for $name {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
                encoder.write_str(self.as_str())
            }
        }
    };
}

label_values!(
    /// A channel DMs come in on and go out through.
    ChannelLabel { Webhook => "webhook", Twitter => "twitter" }
);

label_values!(
    /// What became of an inbound DM.
    DmOutcome { Accepted => "accepted", Duplicate => "duplicate", Refused => "refused" }
);

label_values!(
    /// Why an inbound DM was refused (`none` when it was not).
    RefusalReason {
        None => "none",
        Malformed => "malformed",
        BadSignature => "bad_signature",
        TooLarge => "too_large",
        Misdirected => "misdirected",
        Unavailable => "unavailable",
    }
);

label_values!(
    /// Why a conversation went to the queue: a rule said so, or one of the desk's own reasons.
    EscalationReason {
        Rule => "rule",
        BotStuck => "bot_stuck",
        BotTimeout => "bot_timeout",
        AgentGone => "agent_gone",
        Transfer => "transfer",
        NoFirstReply => "no_first_reply",
    }
);

label_values!(
    /// How an offer to an agent ended.
    OfferOutcome {
        Accepted => "accepted",
        Declined => "declined",
        Lapsed => "lapsed",
        Withdrawn => "withdrawn",
    }
);

label_values!(
    /// How a person let a conversation go back to the bot.
    ReleaseKind { Agent => "agent", CustomerIdle => "customer_idle" }
);

label_values!(
    /// A conversation's state, as `baton_conversations` counts them.
    ConversationState {
        Bot => "bot",
        Queued => "queued",
        Offered => "offered",
        WithAgent => "with_agent",
        Closed => "closed",
    }
);

label_values!(
    /// An agent's presence (`offline`: no socket connected).
    PresenceLabel { Available => "available", Away => "away", Offline => "offline" }
);

label_values!(
    /// What one outgoing message's delivery came to: `retried` gave up for this round and
    /// holds its conversation back until the next.
    SendResult { Delivered => "delivered", Retried => "retried", Failed => "failed" }
);

label_values!(
    /// Whether a configuration reload took.
    ReloadResult { Ok => "ok", Failed => "failed", Refused => "refused" }
);

label_values!(
    /// Which `[http]` cap refused a connection or an upgrade.
    HttpCap { Connections => "connections", AgentSockets => "agent_sockets" }
);

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DmLabels {
    pub channel: ChannelLabel,
    pub outcome: DmOutcome,
    pub reason: RefusalReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ChannelLabels {
    pub channel: ChannelLabel,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct SendLabels {
    pub channel: ChannelLabel,
    pub result: SendResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RuleLabels {
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct AccountLabels {
    pub account: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: EscalationReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct OfferLabels {
    pub outcome: OfferOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ReleaseLabels {
    pub kind: ReleaseKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct StateLabels {
    pub state: ConversationState,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct PresenceLabels {
    pub presence: PresenceLabel,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ReloadLabels {
    pub result: ReloadResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CapLabels {
    pub cap: HttpCap,
}
