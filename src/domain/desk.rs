//! The desk: every live conversation of the daemon and the queues, and the transitions.

use super::agent::AgentId;
use super::conversation::{Conversation, Customer, State, Ticket};
use super::effect::{AgentEvent, Effect, Input, Timer};
use super::estimate::Handling;
use super::hours::Hours;
use super::ids::{AccountId, Channel, ConversationId, CustomerId, Timestamp};
use super::message::{Author, Message, Profile, QuickReply};
use super::queue::Queue;
use super::routing::Seat;
use crate::rules::{self, RuleBook, Template, Timeouts, Vars};
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
    /// The rules' `[timeouts]` with the account's overrides from the config.
    pub timeouts: Timeouts,
    /// When the account's people work; `None`: always.
    pub hours: Option<Hours>,
}

impl Account {
    /// The timeouts in force for a conversation whose last matched rule is `rule`: the rule's
    /// own, else the account's, else the rules' `[timeouts]`.
    pub fn timeouts_for(&self, rule: Option<&str>) -> Timeouts {
        match rule.and_then(|name| self.rules.rule_named(name)) {
            Some(rule) => self.timeouts.with(&rule.timeouts),
            None => self.timeouts,
        }
    }

    pub fn is_open(&self, at: Timestamp) -> bool {
        self.hours.as_ref().is_none_or(|h| h.is_open(at))
    }
}

type CustomerKey = (AccountId, Channel, CustomerId);

#[derive(Debug, Default)]
pub struct Desk {
    pub(super) conversations: HashMap<ConversationId, Conversation>,
    by_customer: HashMap<CustomerKey, ConversationId>,
    pub(super) queues: HashMap<AccountId, Queue>,
    /// Agents as routing sees them (in memory: after a restart nobody is connected).
    pub(super) seats: HashMap<AgentId, Seat>,
    /// Recent handling times per account, for queue estimates (in memory).
    pub(super) handling: HashMap<AccountId, Handling>,
    next_id: u64,
}

impl Desk {
    /// Rebuilds the desk from persisted conversations, queues included (ordered with each
    /// account's `ageing`).
    pub fn restore<'a>(
        conversations: impl IntoIterator<Item = Conversation>,
        accounts: impl IntoIterator<Item = &'a Account>,
    ) -> Desk {
        let mut desk = Desk::default();
        for account in accounts {
            desk.queues
                .insert(account.id.clone(), Queue::new(account.timeouts.ageing));
        }
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
                    .or_insert_with(|| Queue::new(Timeouts::default().ageing))
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

    /// Applies one input and returns what must happen because of it, including moving the
    /// deadline of every conversation it changed (`Effect::Schedule`).
    pub fn handle(&mut self, input: Input, now: Timestamp, account: &Account) -> Vec<Effect> {
        let mut effects = self.apply(input, now, account);
        self.arm(&mut effects, now, account);
        effects
    }

    fn apply(&mut self, input: Input, now: Timestamp, account: &Account) -> Vec<Effect> {
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
            Input::AgentSend {
                agent,
                conversation,
                text,
            } => self.agent_send(agent, conversation, text, now, account),
            Input::Release {
                agent,
                conversation,
            } => self.release(agent, conversation, now, account),
            Input::Resolve {
                agent,
                conversation,
            } => self.resolve(agent, conversation, now, account),
            Input::Deadline {
                timer: Timer::Agent(agent),
                ..
            } => self.grace_expired(agent, now, account),
            Input::Deadline {
                timer: Timer::Conversation(id),
                at,
            } => self.conversation_due(id, at, now, account),
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
        let mut turn = Turn::new(account, now);
        let parked = conv.state == State::Closed
            && conv.follow_up.as_ref().is_some_and(|f| f.message.is_none());
        if conv.state == State::Closed && !parked {
            conv.state = State::Bot;
            conv.episode += 1;
            conv.fallbacks = 0;
            conv.greeted = false;
            conv.rule = None;
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
        let id = inbound.id;
        if let State::WithAgent { heard_at, .. } = &mut conv.state {
            *heard_at = Some(now);
        }
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
        let mut freed = false;
        match &conv.state {
            State::Bot => {
                conv.bot_since.get_or_insert(now);
                self.bot_turn(&mut conv, &mut turn, &text, payload.as_deref());
            }
            State::Queued(_) | State::Offered { .. } => {
                freed = self.waiting_choice(&mut conv, &mut turn, payload.as_deref());
            }
            State::Closed if parked => self.message_left(&mut conv, &mut turn, id),
            // Held: kept for the agent, and the bot stays silent.
            _ => {}
        }
        turn.effects.push(Effect::Save(conv.touch(now)));
        let queued = freed || matches!(conv.state, State::Queued(_));
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
                conv.rule = Some(rule.name.clone());
                if let Some(esc) = &rule.escalate {
                    let mut ticket = Ticket::new(&esc.reason, esc.priority, turn.now, turn.now);
                    ticket.skills = esc.skills.clone();
                    let place = self.line_up(conv, ticket, turn.account);
                    if let Some(reply) = &rule.reply {
                        turn.say(conv, reply, Some(place), &rule.quick_replies);
                    }
                    self.queued(conv, turn, place);
                } else {
                    if let Some(reply) = &rule.reply {
                        turn.say(conv, reply, None, &rule.quick_replies);
                    }
                    if rule.close {
                        conv.state = State::Closed;
                        conv.bot_since = None;
                    }
                }
            }
            // The opening message that matches nothing gets the greeting alone.
            None if first => {}
            None => {
                conv.fallbacks += 1;
                if conv.fallbacks >= bot.max_fallbacks {
                    turn.say(conv, &bot.stuck, None, &[]);
                    self.escalate(conv, turn, "bot_stuck");
                } else {
                    turn.say(conv, &bot.fallback, None, &[]);
                }
            }
        }
    }

    /// The bot hands the conversation to the queue with no rule's say (it is stuck).
    fn escalate(&mut self, conv: &mut Conversation, turn: &mut Turn<'_>, why: &str) {
        let ticket = Ticket::new(why, 0, turn.now, turn.now);
        let place = self.line_up(conv, ticket, turn.account);
        self.queued(conv, turn, place);
    }

    /// Tells a customer just put in line where they stand; outside business hours, also that
    /// nobody is there and what they can do.
    pub(super) fn queued(&self, conv: &mut Conversation, turn: &mut Turn<'_>, place: Place) {
        turn.say(conv, &turn.account.rules.bot.queued, Some(place), &[]);
        if !turn.account.is_open(turn.now) {
            self.apologise(conv, turn);
        }
    }

    /// Puts the conversation in its account's line with `ticket` (its state becomes
    /// `Queued`); returns its place.
    pub(super) fn line_up(
        &mut self,
        conv: &mut Conversation,
        ticket: Ticket,
        account: &Account,
    ) -> Place {
        let queue = self
            .queues
            .entry(conv.account.clone())
            .or_insert_with(|| Queue::new(account.timeouts.ageing));
        queue.insert(conv.id, &ticket);
        let place = Place {
            position: queue.position(conv.id).unwrap_or(queue.len()),
            size: queue.len(),
        };
        conv.fallbacks = 0;
        conv.bot_since = None;
        conv.state = State::Queued(ticket);
        place
    }

    /// Where a queued conversation stands.
    pub(super) fn place(&self, conv: &Conversation) -> Option<Place> {
        let queue = self.queues.get(&conv.account)?;
        Some(Place {
            position: queue.position(conv.id)?,
            size: queue.len(),
        })
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
pub(super) struct Place {
    pub position: usize,
    pub size: usize,
}

/// What else a bot message may name, beyond the conversation and its place in line.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Extra<'a> {
    pub wait: Option<&'a str>,
    pub hours: Option<&'a str>,
    pub agent: Option<&'a str>,
}

/// The effects of one input being built, with what every outgoing message needs.
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
        };
        template.render(&vars)
    }
}
