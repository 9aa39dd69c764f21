//! The admin API's JSON: types of its own, converted from what the engine answers, so a change
//! in the domain or the engine cannot change what admin tools read. Messages, customers,
//! tickets, profiles and agents have the shapes agents see (`agents::wire`).

mod channels;
mod conversation;
mod transcripts;

use crate::agents::wire::{AgentJson, ProfileJson, TicketJson};
use crate::domain::{Agent, Presence};
use crate::engine::{AgentView, ProfileView, QueueView, StatsView};
use serde::Serialize;

pub use channels::{ChannelJson, ChannelsJson};
pub use conversation::ConversationJson;
pub use transcripts::{ConversationsJson, ExportLineJson};

#[derive(Debug, Serialize)]
pub struct AgentStatusJson {
    #[serde(flatten)]
    pub agent: AgentJson,
    /// `available`, `away`, or `offline` when no socket is connected.
    pub presence: &'static str,
    pub connections: u32,
    /// Shown only when true: a disabled agent is refused at the socket until enabled.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
}

impl From<&AgentView> for AgentStatusJson {
    fn from(v: &AgentView) -> Self {
        AgentStatusJson {
            agent: (&v.agent).into(),
            presence: match v.presence {
                None => "offline",
                Some(Presence::Available) => "available",
                Some(Presence::Away) => "away",
            },
            connections: v.connections,
            disabled: v.disabled,
        }
    }
}

/// `GET /v1/agents`.
#[derive(Debug, Serialize)]
pub struct AgentsJson {
    pub agents: Vec<AgentStatusJson>,
}

impl AgentsJson {
    pub fn new(views: &[AgentView]) -> Self {
        AgentsJson {
            agents: views.iter().map(AgentStatusJson::from).collect(),
        }
    }
}

/// `POST /v1/agents`: the new agent and its token, shown this once.
#[derive(Debug, Serialize)]
pub struct AgentAddedJson {
    pub agent: AgentJson,
    pub token: String,
}

impl AgentAddedJson {
    pub fn new(agent: &Agent, token: String) -> Self {
        AgentAddedJson {
            agent: agent.into(),
            token,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ProfileEntryJson {
    pub account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub bot: bool,
    #[serde(flatten)]
    pub profile: ProfileJson,
}

/// `GET /v1/profiles`.
#[derive(Debug, Serialize)]
pub struct ProfilesJson {
    pub profiles: Vec<ProfileEntryJson>,
}

impl ProfilesJson {
    pub fn new(views: &[ProfileView]) -> Self {
        let entry = |v: &ProfileView| ProfileEntryJson {
            account: v.account.to_string(),
            agent: v.agent.map(|a| a.to_string()),
            bot: v.bot,
            profile: (&v.profile).into(),
        };
        ProfilesJson {
            profiles: views.iter().map(entry).collect(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct QueueEntryJson {
    pub position: usize,
    pub conversation: String,
    pub customer: String,
    #[serde(flatten)]
    pub ticket: TicketJson,
}

#[derive(Debug, Serialize)]
pub struct FollowUpEntryJson {
    pub conversation: String,
    pub customer: String,
    pub since: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `GET /v1/queue/{account}`.
#[derive(Debug, Serialize)]
pub struct QueueJson {
    pub account: String,
    pub entries: Vec<QueueEntryJson>,
    pub follow_ups: Vec<FollowUpEntryJson>,
}

impl From<&QueueView> for QueueJson {
    fn from(q: &QueueView) -> Self {
        QueueJson {
            account: q.account.to_string(),
            entries: q
                .entries
                .iter()
                .map(|e| QueueEntryJson {
                    position: e.position,
                    conversation: e.conversation.to_string(),
                    customer: e.customer.clone(),
                    ticket: (&e.ticket).into(),
                })
                .collect(),
            follow_ups: q
                .follow_ups
                .iter()
                .map(|f| FollowUpEntryJson {
                    conversation: f.conversation.to_string(),
                    customer: f.customer.clone(),
                    since: f.since.to_string(),
                    message: f.message.map(|m| m.to_string()),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SchedulerJson {
    pub pending: usize,
    pub fired: u64,
    pub late_p50_ms: u64,
    pub late_p99_ms: u64,
    pub late_max_ms: u64,
}

/// `GET /v1/stats`.
#[derive(Debug, Serialize)]
pub struct StatsJson {
    pub conversations: usize,
    /// The conversations in memory (those at rest are in the store).
    pub resident: usize,
    pub scheduler: SchedulerJson,
}

impl From<&StatsView> for StatsJson {
    fn from(v: &StatsView) -> Self {
        let s = &v.scheduler;
        StatsJson {
            conversations: v.conversations,
            resident: v.resident,
            scheduler: SchedulerJson {
                pending: s.pending,
                fired: s.fired,
                late_p50_ms: s.late_p50_ms,
                late_p99_ms: s.late_p99_ms,
                late_max_ms: s.late_max_ms,
            },
        }
    }
}
