//! The domain's one test kit: a small world with one account, a rule set and agents, the
//! steps scenarios repeat (a customer writes, an agent accepts, sends, lets go), readers for
//! the effects a step produced, and `check` for scenarios of customer messages.

use crate::domain::*;
use crate::rules;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

mod read;
pub(crate) use read::*;

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
    /// The scheduler's index, as the desk's `Schedule` effects move it.
    pub deadlines: BTreeSet<(Timestamp, Timer)>,
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
        World::with_rules("")
    }

    /// The world's rules with `extra` TOML appended (e.g. a `[timeouts]` table).
    pub fn with_rules(extra: &str) -> World {
        World::from_rules(&format!("{RULES}\n{extra}"))
    }

    /// A world with exactly these rules; the bot signs with their `[bot].profile`.
    pub fn from_rules(text: &str) -> World {
        let book = rules::compile(&[(PathBuf::from("t.toml"), text.to_owned())])
            .unwrap_or_else(|e| panic!("{e}"));
        let spec = &book.bot.profile;
        let bot = Profile {
            id: spec.id.clone().unwrap_or_else(|| "acme-bot".into()),
            name: spec.name.clone(),
            avatar: spec.avatar.clone(),
        };
        World {
            desk: Desk::default(),
            account: Account {
                id: AccountId::from("acme"),
                name: "Acme".into(),
                bot,
                timeouts: book.timeouts,
                hours: None,
                rules: Arc::new(book),
            },
            now: 1_000,
            deadlines: BTreeSet::new(),
        }
    }

    pub fn input(&mut self, input: Input) -> Vec<Effect> {
        self.now += 1;
        let effects = self.desk.handle(input, Timestamp(self.now), &self.account);
        self.schedule(&effects);
        effects
    }

    fn schedule(&mut self, effects: &[Effect]) {
        for e in effects {
            if let Effect::Schedule { timer, from, to } = e {
                if let Some(at) = from {
                    assert!(
                        self.deadlines.remove(&(*at, *timer)),
                        "{timer:?} not at {at}"
                    );
                }
                if let Some(at) = to {
                    self.deadlines.insert((*at, *timer));
                }
            }
        }
    }

    /// Moves time on by `ms`, firing every deadline that comes due on the way, in order, as
    /// the engine's scheduler would; returns all their effects.
    pub fn advance(&mut self, ms: u64) -> Vec<Effect> {
        let until = self.now + ms;
        let mut effects = Vec::new();
        while let Some(&(at, timer)) = self.deadlines.first() {
            if at.0 > until {
                break;
            }
            self.deadlines.pop_first();
            effects.extend(self.due(timer, at));
        }
        self.now = until;
        effects
    }

    /// Fires the deadline `timer` holds now (at its time, if that is later), like the
    /// scheduler reaching it; panics if it holds none.
    pub fn fire(&mut self, timer: Timer) -> Vec<Effect> {
        let &(at, _) = self
            .deadlines
            .iter()
            .find(|(_, t)| *t == timer)
            .unwrap_or_else(|| panic!("no deadline for {timer:?}"));
        self.deadlines.remove(&(at, timer));
        self.due(timer, at)
    }

    /// The scheduler hands the desk `timer`'s deadline `at` (already out of the index).
    fn due(&mut self, timer: Timer, at: Timestamp) -> Vec<Effect> {
        self.now = self.now.max(at.0);
        let fx = self.desk.handle(
            Input::Deadline { timer, at },
            Timestamp(self.now),
            &self.account,
        );
        self.schedule(&fx);
        fx
    }

    /// The deadline the scheduler holds for `who`'s conversation.
    pub fn deadline(&self, who: &str) -> Option<u64> {
        let id = self.id(who);
        let held: Vec<u64> = self
            .deadlines
            .iter()
            .filter(|(_, t)| *t == Timer::Conversation(id))
            .map(|(at, _)| at.0)
            .collect();
        assert!(
            held.len() <= 1,
            "more than one deadline for {who}: {held:?}"
        );
        assert_eq!(held.first().copied(), self.conv(who).deadline.map(|d| d.0));
        held.first().copied()
    }

    pub fn customer(&mut self, who: &str, text: &str) -> Vec<Effect> {
        self.message(who, None, text, None)
    }

    /// The customer taps a quick reply.
    pub fn tap(&mut self, who: &str, payload: &str) -> Vec<Effect> {
        self.message(who, None, "", Some(payload))
    }

    pub fn message(
        &mut self,
        who: &str,
        name: Option<&str>,
        text: &str,
        payload: Option<&str>,
    ) -> Vec<Effect> {
        self.input(Input::CustomerMessage {
            channel: Channel::Webhook,
            customer: CustomerId::from(who),
            name: name.map(str::to_owned),
            text: text.into(),
            payload: payload.map(str::to_owned),
            attachments: Vec::new(),
        })
    }

    /// The brand's account wrote to `who` from another app.
    pub fn outside(&mut self, who: &str) -> Vec<Effect> {
        self.input(Input::TakenOutside {
            channel: Channel::Webhook,
            customer: CustomerId::from(who),
            text: "Hi, Sam from Acme here.".into(),
            attachments: Vec::new(),
        })
    }

    pub fn accept(&mut self, agent: AgentId, conversation: ConversationId) -> Vec<Effect> {
        self.input(Input::Accept {
            agent,
            conversation,
        })
    }

    pub fn decline(&mut self, agent: AgentId, conversation: ConversationId) -> Vec<Effect> {
        self.input(Input::Decline {
            agent,
            conversation,
        })
    }

    pub fn send(
        &mut self,
        agent: AgentId,
        conversation: ConversationId,
        text: &str,
    ) -> Vec<Effect> {
        self.input(Input::AgentSend {
            agent,
            conversation,
            text: text.into(),
        })
    }

    pub fn release(&mut self, agent: AgentId, conversation: ConversationId) -> Vec<Effect> {
        self.input(Input::Release {
            agent,
            conversation,
        })
    }

    pub fn resolve(&mut self, agent: AgentId, conversation: ConversationId) -> Vec<Effect> {
        self.input(Input::Resolve {
            agent,
            conversation,
        })
    }

    pub fn transfer(
        &mut self,
        agent: AgentId,
        conversation: ConversationId,
        to: TransferTo,
        note: Option<&str>,
    ) -> Vec<Effect> {
        self.input(Input::Transfer {
            agent,
            conversation,
            to,
            note: note.map(str::to_owned),
        })
    }

    /// `who` is held by agent `n` (capacity 1), who accepted it just now.
    pub fn held(&mut self, who: &str, n: u64) -> (Agent, ConversationId) {
        let a = agent(n, &[], 1);
        self.customer(who, "agent");
        let c = self.id(who);
        self.seen(&a, Some(Presence::Available));
        self.accept(a.id, c);
        assert_eq!(self.state(who), "with_agent");
        (a, c)
    }

    /// Agent `a` was disabled or removed.
    pub fn left(&mut self, a: AgentId) -> Vec<Effect> {
        self.input(Input::AgentLeft { agent: a })
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
