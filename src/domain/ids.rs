//! Identifier newtypes and the millisecond timestamp the core uses instead of a clock.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, UNIX_EPOCH};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

string_id!(
    /// A brand account served by the daemon, as named in the config.
    AccountId
);
string_id!(
    /// A customer's id on their channel.
    CustomerId
);
string_id!(
    /// An inbound event's id as the channel delivered it; used to process each event once.
    EventId
);

/// One conversation per (account, channel, customer); numbered by the desk, written `c12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationId(pub u64);

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

impl FromStr for ConversationId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.strip_prefix('c')
            .and_then(|n| n.parse().ok())
            .map(ConversationId)
            .ok_or_else(|| format!("'{s}' is not a conversation id like c12"))
    }
}

/// A message is numbered within its conversation, so its id (`c12-3`) is stable and unique
/// forever: receivers dedupe on it when the outbox delivers twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId {
    pub conversation: ConversationId,
    pub seq: u64,
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.conversation, self.seq)
    }
}

impl FromStr for MessageId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not a message id like c12-3");
        let (conv, seq) = s.split_once('-').ok_or_else(bad)?;
        Ok(MessageId {
            conversation: conv.parse().map_err(|_| bad())?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

/// The messaging platform a customer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Webhook,
    Twitter,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Twitter => "twitter",
        }
    }
}

/// Milliseconds since the Unix epoch, written as RFC 3339 (`2026-11-22T03:04:41.678Z`). The
/// engine reads the clock; the core only compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub u64);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = UNIX_EPOCH + Duration::from_millis(self.0);
        write!(f, "{}", humantime::format_rfc3339_millis(t))
    }
}

impl FromStr for Timestamp {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = humantime::parse_rfc3339(s).map_err(|e| format!("'{s}': {e}"))?;
        let ms = t
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_millis();
        Ok(Timestamp(ms as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_times_round_trip_through_their_text_form() {
        let m = MessageId {
            conversation: ConversationId(12),
            seq: 3,
        };
        assert_eq!(m.to_string(), "c12-3");
        assert_eq!("c12-3".parse::<MessageId>(), Ok(m));
        assert!("12-3".parse::<MessageId>().is_err());
        assert!("c12".parse::<MessageId>().is_err());
        let t = Timestamp(1_795_316_683_230);
        assert_eq!(t.to_string(), "2026-11-22T03:04:43.230Z");
        assert_eq!(t.to_string().parse::<Timestamp>(), Ok(t));
    }
}
