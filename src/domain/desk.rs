//! The desk: every live conversation of the daemon and the queues, and the transitions.

use super::agent::AgentId;
use super::conversation::{Conversation, Customer, State, Ticket};
use super::effect::{AgentEvent, Effect, Input};
use super::ids::{AccountId, Channel, ConversationId, CustomerId, Timestamp};
use super::message::{Author, Message, Profile, QuickReply};
use super::queue::Queue;
use super::routing::Seat;
use crate::rules::{self, RuleBook, Template, Vars};
use std::collections::HashMap;
use std::sync::Arc;

/// What the desk needs to know about the account an input concerns.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    /// Shown to customers, e.g. in templates as `{account.name}`.
    pub name: String,
    pub bot: Profile,
    pub rules: Arc<RuleBook>,
}

type CustomerKey = (AccountId, Channel, CustomerId);

#[derive(Debug, Default)]
pub struct Desk {
    pub(super) conversations: HashMap<ConversationId, Conversation>,
    by_customer: HashMap<CustomerKey, ConversationId>,
    pub(super) queues: HashMap<AccountId, Queue>,
    /// Agents as routing sees them (in memory: after a restart nobody is connected).
    pub(super) seats: HashMap<AgentId, Seat>,
    next_id: u64,
}

impl Desk {
    /// Rebuilds the desk from persisted conversations, queues included.
    pub fn restore(conversations: impl IntoIterator<Item = Conversation>) -> Desk {
        let mut desk = Desk::default();
        for mut c in conversations {
            // Nobody is connected after a restart: an open offer goes back to its place.
            if let State::Offered { ticket, .. } = &c.state {
                c.state = State::Queued(ticket.clone());
            }
            desk.next_id = desk.next_id.max(c.id.0 + 1);
            let key = (c.account.clone(), c.customer.channel, c.customer.id.clone());
            desk.by_customer.insert(key, c.id);
            if let State::Queued(t) = &c.state {
                desk.queues
                    .entry(c.account.clone())
                    .or_default()
                    .insert(c.id, t);
            }
            desk.conversations.insert(c.id, c);
        }
        desk
    }

    pub fn conversation(&self, id: ConversationId) -> Option<&Conversation> {
        self.conversations.get(&id)
    }

    pub fn conversations(&self) -> impl Iterator<Item = &Conversation> {
        self.conversations.values()
    }

    /// Agents holding conversations (after a restart, all of them are offline).
    pub fn holders(&self) -> impl Iterator<Item = (AgentId, &AccountId)> {
        let mut seen = std::collections::HashSet::new();
        self.conversations
            .values()
            .filter_map(|c| Some((c.held_by()?, &c.account)))
            .filter(move |(a, _)| seen.insert(*a))
    }

    pub fn queue(&self, account: &AccountId) -> Option<&Queue> {
        self.queues.get(account)
    }

    /// Applies one input and returns what must happen because of it.
    pub fn handle(&mut self, input: Input, now: Timestamp, account: &Account) -> Vec<Effect> {
        match input {
            Input::CustomerMessage {
                channel,
                customer,
                name,
                text,
                payload,
            } => {
                let customer = Customer {
                    channel,
                    id: customer,
                    name,
                };
                self.customer_message(customer, text, payload, now, account)
            }
            Input::AgentSeen { agent, presence } => self.agent_seen(agent, presence, now, account),
            Input::Accept {
                agent,
                conversation,
            } => self.accept(agent, conversation, now, account),
            Input::Decline {
                agent,
                conversation,
            } => self.decline(agent, conversation, now, account),
            Input::OfferExpired {
                agent,
                conversation,
            } => self.offer_expired(agent, conversation, now, account),
            Input::AgentSend {
                agent,
                conversation,
                text,
            } => self.agent_send(agent, conversation, text, now),
            Input::Release {
                agent,
                conversation,
            } => self.release(agent, conversation, now, account),
            Input::Resolve {
                agent,
                conversation,
            } => self.resolve(agent, conversation, now, account),
            Input::GraceExpired { agent } => self.grace_expired(agent, now, account),
            Input::Transfer {
                agent,
                conversation,
                to,
                note,
            } => self.transfer(agent, conversation, to, note, now, account),
        }
    }

    fn customer_message(
        &mut self,
        customer: Customer,
        text: String,
        payload: Option<String>,
        now: Timestamp,
        account: &Account,
    ) -> Vec<Effect> {
        let mut conv = self.take_or_open(customer, now, account);
        let mut turn = Turn {
            effects: Vec::new(),
            account,
            now,
        };
        if conv.state == State::Closed {
            conv.state = State::Bot;
            conv.episode += 1;
            conv.fallbacks = 0;
            conv.greeted = false;
        }
        let inbound = Message {
            id: conv.next_message_id(),
            from: Author::Customer,
            text,
            payload,
            quick_replies: Vec::new(),
            profile: None,
            at: now,
            epoch: conv.epoch,
        };
        let (text, payload) = (inbound.text.clone(), inbound.payload.clone());
        if let Some(agent) = conv.held_by() {
            // A person holds it: the message goes to them, and the bot stays silent.
            turn.effects.push(Effect::Notify {
                agent,
                event: AgentEvent::Message {
                    conversation: conv.id,
                    message: inbound.clone(),
                },
            });
        }
        turn.effects.push(Effect::Record(inbound));
        if conv.state == State::Bot {
            self.bot_turn(&mut conv, &mut turn, &text, payload.as_deref());
        }
        // Queued or offered: the message is kept for the agent and the bot stays silent.
        turn.effects.push(Effect::Save(conv.touch(now)));
        let queued = conv.ticket().is_some() && matches!(conv.state, State::Queued(_));
        self.conversations.insert(conv.id, conv);
        let mut effects = turn.effects;
        if queued {
            effects.extend(self.route(account, now));
        }
        effects
    }

    fn bot_turn(
        &mut self,
        conv: &mut Conversation,
        turn: &mut Turn<'_>,
        text: &str,
        payload: Option<&str>,
    ) {
        let bot = &turn.account.rules.bot;
        let first = !conv.greeted;
        if first {
            conv.greeted = true;
            turn.say(conv, &bot.greeting, None, &[]);
        }
        match turn.account.rules.evaluate(text, payload) {
            Some(rule) => {
                conv.fallbacks = 0;
                if let Some(esc) = &rule.escalate {
                    let ticket = Ticket {
                        reason: esc.reason.clone(),
                        priority: esc.priority,
                        skills: esc.skills.clone(),
                        queued_at: turn.now,
                        note: None,
                    };
                    let place = self.enqueue(conv, ticket);
                    if let Some(reply) = &rule.reply {
                        turn.say(conv, reply, place, &rule.quick_replies);
                    }
                    turn.say(conv, &bot.queued, place, &[]);
                } else {
                    if let Some(reply) = &rule.reply {
                        turn.say(conv, reply, None, &rule.quick_replies);
                    }
                    if rule.close {
                        conv.state = State::Closed;
                    }
                }
            }
            // The opening message that matches nothing gets the greeting alone.
            None if first => {}
            None => {
                conv.fallbacks += 1;
                if conv.fallbacks >= bot.max_fallbacks {
                    turn.say(conv, &bot.stuck, None, &[]);
                    let ticket = Ticket {
                        reason: "bot_stuck".to_owned(),
                        priority: 0,
                        skills: Vec::new(),
                        queued_at: turn.now,
                        note: None,
                    };
                    let place = self.enqueue(conv, ticket);
                    turn.say(conv, &bot.queued, place, &[]);
                } else {
                    turn.say(conv, &bot.fallback, None, &[]);
                }
            }
        }
    }

    /// Moves the conversation to its account's queue; returns its place in line.
    fn enqueue(&mut self, conv: &mut Conversation, ticket: Ticket) -> Option<Place> {
        let queue = self.queues.entry(conv.account.clone()).or_default();
        queue.insert(conv.id, &ticket);
        let place = queue.position(conv.id, &ticket).map(|position| Place {
            position,
            size: queue.len(),
        });
        conv.fallbacks = 0;
        conv.state = State::Queued(ticket);
        place
    }

    fn take_or_open(
        &mut self,
        customer: Customer,
        now: Timestamp,
        account: &Account,
    ) -> Conversation {
        let key = (account.id.clone(), customer.channel, customer.id.clone());
        if let Some(conv) = self
            .by_customer
            .get(&key)
            .and_then(|id| self.conversations.remove(id))
        {
            let mut conv = conv;
            if customer.name.is_some() {
                conv.customer.name = customer.name;
            }
            return conv;
        }
        let id = ConversationId(self.next_id);
        self.next_id += 1;
        self.by_customer.insert(key, id);
        Conversation::new(id, account.id.clone(), customer, now)
    }
}

/// Where a queued conversation stands, for `{queue.position}` and `{queue.size}`.
#[derive(Debug, Clone, Copy)]
struct Place {
    position: usize,
    size: usize,
}

/// The effects of one input being built, with what every outgoing message needs.
struct Turn<'a> {
    effects: Vec<Effect>,
    account: &'a Account,
    now: Timestamp,
}

impl Turn<'_> {
    /// The bot says something: signed with the bot profile, under the current epoch.
    fn say(
        &mut self,
        conv: &mut Conversation,
        template: &Template,
        place: Option<Place>,
        quick: &[rules::QuickReply],
    ) {
        let vars = Vars {
            customer_name: conv.customer.name.as_deref(),
            customer_id: conv.customer.id.as_str(),
            account_name: &self.account.name,
            bot_name: &self.account.bot.name,
            queue_position: place.map(|p| p.position),
            queue_size: place.map(|p| p.size),
            ..Vars::default()
        };
        let text = template.render(&vars);
        let quick = quick
            .iter()
            .map(|q| QuickReply {
                label: q.label.clone(),
                payload: q.payload.clone(),
            })
            .collect();
        let said = conv.say(Author::Bot, &self.account.bot, text, quick, self.now);
        self.effects.push(said);
    }
}
