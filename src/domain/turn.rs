//! One step of the desk: the effects of one input being built, with what every outgoing
//! message needs (the account, the time). Transitions change a `&mut Conversation` and record
//! what must happen here.

use super::account::Account;
use super::agent::AgentId;
use super::conversation::Conversation;
use super::effect::{AgentEvent, Effect};
use super::ids::Timestamp;
use super::lines::Place;
use super::message::{Author, Message, QuickReply};
use crate::rules::{self, Template, Vars};

/// What else a bot message may name, beyond the conversation and its place in line.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Extra<'a> {
    pub wait: Option<&'a str>,
    pub hours: Option<&'a str>,
    pub agent: Option<&'a str>,
}

impl<'a> Extra<'a> {
    /// Names the person helping (`{agent.name}`).
    pub fn agent(name: &'a str) -> Extra<'a> {
        Extra {
            agent: Some(name),
            ..Extra::default()
        }
    }
}

pub(super) struct Turn<'a> {
    pub effects: Vec<Effect>,
    pub account: &'a Account,
    pub now: Timestamp,
}

impl<'a> Turn<'a> {
    pub fn new(account: &'a Account, now: Timestamp) -> Turn<'a> {
        Turn {
            effects: Vec::new(),
            account,
            now,
        }
    }

    /// The bot says something: signed with the bot profile, under the current epoch.
    pub fn say(
        &mut self,
        conv: &mut Conversation,
        template: &Template,
        place: Option<Place>,
        quick: &[rules::QuickReply],
    ) {
        self.say_with(conv, template, place, quick, Extra::default());
    }

    pub fn say_with(
        &mut self,
        conv: &mut Conversation,
        template: &Template,
        place: Option<Place>,
        quick: &[rules::QuickReply],
        extra: Extra<'_>,
    ) {
        let text = self.render(conv, template, place, extra);
        let quick = quick
            .iter()
            .map(|q| QuickReply {
                label: q.label.clone(),
                payload: q.payload.clone(),
            })
            .collect();
        let said = conv.say(Author::Bot, &self.account.bot, text, quick, self.now);
        self.send(conv, said);
    }

    /// Puts a message `conv` just said in the outbox, addressed to its customer.
    pub fn send(&mut self, conv: &Conversation, message: Message) {
        self.effects.push(Effect::Send {
            account: conv.account.clone(),
            to: conv.customer.clone(),
            message,
        });
    }

    /// The conversation changed: its snapshot is persisted.
    pub fn save(&mut self, conv: &mut Conversation) {
        self.effects.push(Effect::Save(conv.touch(self.now)));
    }

    pub fn notify(&mut self, agent: AgentId, event: AgentEvent) {
        self.effects.push(Effect::Notify { agent, event });
    }

    /// A message written to the conversation from outside Baton's agents (the customer's, or
    /// an answer from another app): into the transcript, and to the agent holding it, if any.
    pub fn heard(&mut self, conv: &Conversation, message: Message) {
        if let Some(agent) = conv.held_by() {
            let conversation = conv.id;
            let message = message.clone();
            self.notify(
                agent,
                AgentEvent::Message {
                    conversation,
                    message,
                },
            );
        }
        self.effects.push(Effect::Record(message));
    }

    /// A template's text for this conversation, whoever signs it.
    pub fn render(
        &self,
        conv: &Conversation,
        template: &Template,
        place: Option<Place>,
        extra: Extra<'_>,
    ) -> String {
        let vars = Vars {
            customer_name: conv.customer.name.as_deref(),
            customer_id: conv.customer.id.as_str(),
            account_name: &self.account.name,
            bot_name: &self.account.bot.name,
            queue_position: place.map(|p| p.position),
            queue_size: place.map(|p| p.size),
            queue_wait: extra.wait,
            hours: extra.hours,
            agent_name: extra.agent,
            profile_name: None,
        };
        template.render(&vars)
    }
}
