//! Why things happen, as closed sets: the desk names reasons and codes with these, never with
//! strings. Their wire spelling is the edge's business (the agent protocol matches on them);
//! only the two that are stored have one here: [`Lined`] (a ticket's reason) and [`Passed`]
//! (routing notes).

/// Why an offer was taken back from the agent it was made to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Withdrawn {
    Declined,
    /// The offer lapsed.
    Timeout,
    /// The agent takes nothing new: it has no connection left, or went away (by choice, or
    /// set away for lapsed offers).
    AgentGone,
    /// The customer chose to leave a message instead of waiting.
    CustomerLeft,
    /// Someone answered the customer outside Baton.
    TakenOutside,
}

/// Why an agent no longer holds a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LetGo {
    /// Handed back to the bot by the agent.
    Released,
    /// Closed by the agent.
    Resolved,
    /// The customer went quiet; handed back to the bot.
    CustomerIdle,
    /// Passed to another agent or back to the queue by the agent.
    Transferred,
    /// The agent never wrote; back in line.
    NoFirstReply,
}

/// Why Baton set an agent away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetAway {
    /// Offers lapsed twice in a row.
    OffersLapsed,
}

/// Why an agent's action was refused (nothing changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The conversation is not offered to the agent.
    NotOffered,
    /// The agent does not hold the conversation.
    NotAssigned,
    /// The agent has no seat: it never connected.
    NotConnected,
    /// The named agent of a transfer cannot take it.
    AgentUnavailable,
    /// The message is longer than the channels take.
    TooLong,
}

/// Why the desk itself put a conversation in line (a rule's escalation names its own reason).
/// Kept in the ticket's `reason`, which is free text because rules name theirs; this is the
/// desk's closed set of them, with their stored spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lined {
    /// The bot understood nothing too often.
    BotStuck,
    /// The bot left the customer unresolved too long.
    BotTimeout,
    /// The agent holding it did not come back in time.
    AgentGone,
    /// Transferred by the agent holding it.
    Transfer,
    /// The agent who accepted never wrote.
    NoFirstReply,
}

impl Lined {
    pub fn as_str(self) -> &'static str {
        match self {
            Lined::BotStuck => "bot_stuck",
            Lined::BotTimeout => "bot_timeout",
            Lined::AgentGone => "agent_gone",
            Lined::Transfer => "transfer",
            Lined::NoFirstReply => "no_first_reply",
        }
    }
}

/// Why routing passed an agent over, as kept in a routing note. The variants are declared in
/// the order of their stored spelling, so notes list reasons in the order they always have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Passed {
    AtCapacity,
    Away,
    /// Fit, but someone less loaded or idle for longer was chosen.
    Busier,
    /// Fit, but declined this conversation before while someone else was free.
    DeclinedBefore,
    MissingSkill,
    Offline,
    OtherAccount,
}

impl Passed {
    /// How routing notes spell it (the admin API shows them).
    pub fn as_str(self) -> &'static str {
        match self {
            Passed::AtCapacity => "at capacity",
            Passed::Away => "away",
            Passed::Busier => "busier or idle for less time",
            Passed::DeclinedBefore => "declined before",
            Passed::MissingSkill => "missing skill",
            Passed::Offline => "offline",
            Passed::OtherAccount => "other account",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Passed;

    #[test]
    fn routing_reasons_keep_their_stored_spelling_and_order() {
        let all = [
            Passed::AtCapacity,
            Passed::Away,
            Passed::Busier,
            Passed::DeclinedBefore,
            Passed::MissingSkill,
            Passed::Offline,
            Passed::OtherAccount,
        ];
        for pair in all.windows(2) {
            assert!(pair[0] < pair[1] && pair[0].as_str() < pair[1].as_str());
        }
    }
}
