//! Test-only scaffolding for the agent side of the desk: a small world with one account, a
//! rule set, agents, and readers for the effects a step produced.

use crate::domain::*;
use crate::rules;
use std::path::PathBuf;
use std::sync::Arc;

const RULES: &str = r#"
[bot]
profile = { id = "bot", name = "Acme Assistant (bot)", avatar = "https://example.com/bot.png" }
greeting = "Hi!"
fallback = "Sorry?"
queued = "You are number {queue.position}."

[[rule]]
name = "human"
keywords = ["agent"]
escalate = { reason = "customer_request" }

[[rule]]
name = "vip"
keywords = ["cancel"]
escalate = { reason = "frustrated", priority = 5, skills = ["retention"] }

[[rule]]
name = "order"
keywords = ["order"]
reply = "Track it online."
"#;

pub(crate) struct World {
    pub desk: Desk,
    pub account: Account,
    pub now: u64,
}

pub(crate) fn agent(n: u64, skills: &[&str], capacity: u32) -> Agent {
    NewAgent {
        account: AccountId::from("acme"),
        name: format!("Agent {n}"),
        profile_name: format!("Agent{n}, Acme"),
        avatar: format!("https://example.com/{n}.png"),
        skills: skills.iter().map(|s| s.to_string()).collect(),
        capacity,
    }
    .into_agent(AgentId(n))
}

impl World {
    pub fn new() -> World {
        let book = rules::compile(&[(PathBuf::from("t.toml"), RULES.to_owned())])
            .unwrap_or_else(|e| panic!("{e}"));
        World {
            desk: Desk::default(),
            account: Account {
                id: AccountId::from("acme"),
                name: "Acme".into(),
                bot: Profile {
                    id: "bot".into(),
                    name: "Acme Assistant (bot)".into(),
                    avatar: "https://example.com/bot.png".into(),
                },
                rules: Arc::new(book),
            },
            now: 1_000,
        }
    }

    pub fn input(&mut self, input: Input) -> Vec<Effect> {
        self.now += 1;
        self.desk.handle(input, Timestamp(self.now), &self.account)
    }

    pub fn customer(&mut self, who: &str, text: &str) -> Vec<Effect> {
        self.input(Input::CustomerMessage {
            channel: Channel::Webhook,
            customer: CustomerId::from(who),
            name: None,
            text: text.into(),
            payload: None,
        })
    }

    pub fn seen(&mut self, a: &Agent, presence: Option<Presence>) -> Vec<Effect> {
        self.input(Input::AgentSeen {
            agent: a.clone(),
            presence,
        })
    }

    pub fn conv(&self, who: &str) -> &Conversation {
        self.desk
            .conversations()
            .find(|c| c.customer.id.as_str() == who)
            .unwrap_or_else(|| panic!("no conversation with {who}"))
    }

    pub fn id(&self, who: &str) -> ConversationId {
        self.conv(who).id
    }

    pub fn state(&self, who: &str) -> &'static str {
        self.conv(who).state.name()
    }
}

/// Each message sent to the customer: who wrote it, the profile it is signed with, the text.
pub(crate) fn sent(effects: &[Effect]) -> Vec<(Author, String, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send { message, .. } => Some((
                message.from,
                message
                    .profile
                    .as_ref()
                    .map(|p| p.id.clone())
                    .unwrap_or_default(),
                message.text.clone(),
            )),
            _ => None,
        })
        .collect()
}

pub(crate) fn offers(effects: &[Effect]) -> Vec<(u64, ConversationId)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify {
                agent,
                event: AgentEvent::Offer { conversation, .. },
            } => Some((agent.0, *conversation)),
            _ => None,
        })
        .collect()
}

pub(crate) fn refused(effects: &[Effect]) -> Vec<&'static str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Refuse { code, .. } => Some(*code),
            _ => None,
        })
        .collect()
}
