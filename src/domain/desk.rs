//! The desk: every live conversation of the daemon, the lines and the seats, and the one entry
//! point that moves them, [`Desk::handle`]. The transitions live beside it by what they are
//! about: `bot` (a customer's message), `offers` (seating and routing), `handoff` (what agents
//! do), `timers` (deadlines), `waiting` (customers in line).

use super::account::Account;
use super::agent::AgentId;
use super::conversation::{Conversation, Customer, State};
use super::conversations::Conversations;
use super::effect::{Effect, Input, Timer};
use super::ids::{AccountId, Channel, ConversationId, CustomerId, Timestamp};
use super::lines::Lines;
use super::queue::Queue;
use super::reasons::LetGo;
use super::seats::Seats;
use super::turn::Turn;

#[derive(Debug, Default)]
pub struct Desk {
    pub(super) conversations: Conversations,
    pub(super) lines: Lines,
    pub(super) seats: Seats,
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
            desk.lines.open(&account.id, account.timeouts.ageing);
        }
        for mut c in conversations {
            // Nobody is connected after a restart: an open offer goes back to its place.
            if let State::Offered { ticket, .. } = &c.state {
                c.state = State::Queued(ticket.clone());
            }
            if let State::Queued(t) = &c.state {
                desk.lines.restore(&c, t);
            }
            desk.conversations.restore(c);
        }
        desk
    }

    /// Ids handed out from now on are at least `next`: conversations below it may be stored
    /// and not in memory.
    pub fn ids_from(&mut self, next: u64) {
        self.conversations.ids_from(next);
    }

    /// Takes back a conversation read from the store (one at rest whose customer is back, or
    /// one a question needs). A queued or offered one is not expected here: those are never let
    /// go, and are restored with `restore`.
    pub fn admit(&mut self, c: Conversation) {
        self.conversations.restore(c);
    }

    /// Whether `c` could be let go: nothing about it needs memory (see [`Desk::evict`]).
    pub fn at_rest(c: &Conversation) -> bool {
        super::conversations::at_rest(c)
    }

    /// Lets a conversation at rest go; the caller has stored it as it is. False (and it stays)
    /// when it is not at rest or not here.
    pub fn evict(&mut self, id: ConversationId) -> bool {
        self.conversations.evict(id)
    }

    /// How many conversations there have been, in memory or not (ids are dense from 0).
    pub fn total(&self) -> u64 {
        self.conversations.total()
    }

    /// How many conversations are in memory.
    pub fn resident(&self) -> usize {
        self.conversations.resident()
    }

    pub fn conversation(&self, id: ConversationId) -> Option<&Conversation> {
        self.conversations.get(id)
    }

    /// The customer's conversation with `account` on `channel`, if there is one.
    pub fn find(
        &self,
        account: &AccountId,
        channel: Channel,
        customer: &CustomerId,
    ) -> Option<&Conversation> {
        self.conversations.find(account, channel, customer)
    }

    pub fn conversations(&self) -> impl Iterator<Item = &Conversation> {
        self.conversations.iter()
    }

    /// Agents holding conversations (after a restart, all of them are offline).
    pub fn holders(&self) -> impl Iterator<Item = (AgentId, &AccountId)> {
        self.conversations.holders()
    }

    pub fn queue(&self, account: &AccountId) -> Option<&Queue> {
        self.lines.queue(account)
    }

    /// The account's rules were reloaded: its line is ordered by their `ageing` from now on.
    pub fn reload(&mut self, account: &Account) {
        self.lines.set_ageing(&account.id, account.timeouts.ageing);
    }

    /// Applies one input and returns what must happen because of it, including moving the
    /// deadline of every conversation it changed (`Effect::Schedule`).
    pub fn handle(&mut self, input: Input, now: Timestamp, account: &Account) -> Vec<Effect> {
        let mut turn = Turn::new(account, now);
        self.apply(&mut turn, input);
        self.arm(&mut turn);
        turn.effects
    }

    fn apply(&mut self, t: &mut Turn<'_>, input: Input) {
        match input {
            Input::CustomerMessage {
                channel,
                customer,
                name,
                text,
                payload,
                attachments,
            } => {
                let customer = Customer {
                    channel,
                    id: customer,
                    name,
                };
                self.customer_message(t, customer, text, payload, attachments)
            }
            Input::TakenOutside {
                channel,
                customer,
                text,
                attachments,
            } => {
                let customer = Customer {
                    channel,
                    id: customer,
                    name: None,
                };
                self.taken_outside(t, customer, text, attachments)
            }
            Input::AgentSeen { agent, presence } => self.agent_seen(t, agent, presence),
            Input::AgentLeft { agent } => self.agent_left(t, agent),
            Input::Accept {
                agent,
                conversation,
            } => self.accept(t, agent, conversation),
            Input::Decline {
                agent,
                conversation,
            } => self.decline(t, agent, conversation),
            Input::AgentSend {
                agent,
                conversation,
                text,
            } => self.agent_send(t, agent, conversation, text),
            // Back to the bot: the profile switches back and the bot says so.
            Input::Release {
                agent,
                conversation,
            } => self.let_go(t, agent, conversation, LetGo::Released),
            Input::Resolve {
                agent,
                conversation,
            } => self.let_go(t, agent, conversation, LetGo::Resolved),
            Input::Deadline {
                timer: Timer::Agent(agent),
                ..
            } => self.grace_expired(t, agent),
            Input::Deadline {
                timer: Timer::Conversation(id),
                at,
            } => self.conversation_due(t, id, at),
            Input::Transfer {
                agent,
                conversation,
                to,
                note,
            } => self.transfer(t, agent, conversation, to, note),
        }
    }
}
