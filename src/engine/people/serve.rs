//! The engine's handling of what agent sockets send ([`Session`] commands): connecting with
//! the kept events to replay, acknowledgements, presence, and actions checked against who holds
//! the conversation before they reach the desk.

use super::*;

/// The agent and conversation an agent's action names.
fn acted_on(input: &Input) -> Option<(AgentId, ConversationId)> {
    match *input {
        Input::Accept {
            agent,
            conversation,
        }
        | Input::Decline {
            agent,
            conversation,
        }
        | Input::AgentSend {
            agent,
            conversation,
            ..
        }
        | Input::Release {
            agent,
            conversation,
        }
        | Input::Resolve {
            agent,
            conversation,
        }
        | Input::Transfer {
            agent,
            conversation,
            ..
        } => Some((agent, conversation)),
        Input::CustomerMessage { .. }
        | Input::TakenOutside { .. }
        | Input::AgentSeen { .. }
        | Input::AgentLeft { .. }
        | Input::Deadline { .. } => None,
    }
}

impl Engine {
    pub(in crate::engine) fn session(
        &mut self,
        s: Session,
        now: Timestamp,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) {
        match s {
            Session::Ack(agent, seq) => self.forget_events(agent, seq, set),
            Session::Replay {
                agent,
                after,
                upto,
                reply,
            } => {
                let page = match self
                    .store
                    .agent_events_page(agent, after, upto, REPLAY_PAGE)
                {
                    Ok(events) => Ok(events
                        .into_iter()
                        .map(|(seq, kept)| (seq, ToAgent::from((seq, kept))))
                        .collect()),
                    Err(e) => {
                        tracing::warn!(error = %e, %agent, "cannot read events to replay");
                        Err(EngineError::Unavailable)
                    }
                };
                let _ = reply.send(page);
            }
            Session::Connect(token_sha256, resume_after, account, reply) => {
                // Checked before connecting: a refused socket must not seat the agent.
                let other = account.is_some_and(|a| {
                    self.agents
                        .account_of(&token_sha256)
                        .is_some_and(|own| *own != a)
                });
                let connected = if other {
                    Err(NotAdmitted::OtherAccount)
                } else {
                    self.connect(&token_sha256, resume_after, set)
                        .ok_or(NotAdmitted::UnknownToken)
                };
                if let Ok(c) = &connected {
                    let input = Input::AgentSeen {
                        agent: c.agent.clone(),
                        presence: Some(c.presence),
                    };
                    self.feed_desk(input, &c.agent.account.clone(), now, set, outgoing);
                }
                let _ = reply.send(Ok(connected));
            }
            Session::Presence(id, presence) => {
                self.agents.set_presence(id, presence);
                self.seen_again(id, now, set, outgoing);
            }
            Session::Disconnect(id, session) => {
                self.people.close(id, session);
                self.agents.disconnect(id);
                self.seen_again(id, now, set, outgoing);
            }
            Session::Typing(agent, conversation) => self.agent_typing(agent, conversation),
            Session::History {
                agent,
                conversation,
                reply,
            } => {
                let shown = self.desk.conversation(conversation).map(|c| c.shown_to());
                let history = (shown == Some(Some(agent))).then(|| HistoryRead {
                    turns: self
                        .transcripts
                        .get(&conversation)
                        .cloned()
                        .unwrap_or_default(),
                    store: self.store.clone(),
                });
                let _ = reply.send(Ok(history));
            }
            Session::Act {
                session,
                input,
                client_id,
            } => self.act(session, input, client_id, now, set, outgoing),
        }
    }

    fn connect(
        &mut self,
        token_sha256: &str,
        resume_after: Option<u64>,
        set: &mut WriteSet,
    ) -> Option<Connected> {
        let (agent, presence) = self.agents.connect(token_sha256)?;
        let (session, told, kicked) = self.people.open(agent.id);
        let held: Vec<ConversationId> = self
            .desk
            .conversations()
            .filter(|c| c.held_by() == Some(agent.id))
            .map(|c| c.id)
            .collect();
        let conversations = held.into_iter().filter_map(|id| self.card(id)).collect();
        // Every event numbered after this one comes on `told`; the replay stops here.
        let last = self
            .people
            .next_seq(agent.id, &self.store)
            .saturating_sub(1);
        let replay = resume_after.map(|after| {
            self.forget_events(agent.id, after, set);
            (after, last)
        });
        Some(Connected {
            agent,
            presence,
            session,
            told,
            kicked,
            conversations,
            replay,
        })
    }

    /// Drops the kept events up to `seq`: the agent has them.
    pub(super) fn forget_events(&mut self, agent: AgentId, seq: u64, set: &mut WriteSet) {
        match self.store.agent_event_seqs(agent, seq) {
            Ok(seqs) => {
                let acked = i64::try_from(seqs.len()).unwrap_or(i64::MAX);
                self.measure.metrics().awaiting_ack(-acked);
                seqs.into_iter()
                    .for_each(|n| set.remove_agent_event(agent, n))
            }
            Err(e) => tracing::warn!(error = %e, %agent, "cannot read events to acknowledge"),
        }
    }

    /// Tells the desk the agent's presence as the registry now has it.
    fn seen_again(
        &mut self,
        id: AgentId,
        now: Timestamp,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) {
        // A disabled or removed agent left the desk; its closing sockets change nothing.
        if !self.agents.is_active(id) {
            return;
        }
        let Some(agent) = self.agents.get(id).cloned() else {
            return;
        };
        let presence = self.agents.presence(id);
        let account = agent.account.clone();
        let input = Input::AgentSeen { agent, presence };
        self.feed_desk(input, &account, now, set, outgoing);
    }

    /// Runs an agent's action through the desk under the conversation's account (or, for a
    /// conversation that does not exist, the agent's, so the refusal still happens).
    fn act(
        &mut self,
        session: u64,
        input: Input,
        client_id: Option<String>,
        now: Timestamp,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) {
        let Some((agent, conversation)) = acted_on(&input) else {
            return;
        };
        // A socket cut off (a revoked token, too slow) acts no more, whatever it still sends.
        if !self.people.is_open(agent, session) {
            return;
        }
        let account = match self.desk.conversation(conversation) {
            Some(c) => c.account.clone(),
            None => match self.agents.get(agent) {
                Some(a) => a.account.clone(),
                None => return,
            },
        };
        let sent = self.feed_desk(input, &account, now, set, outgoing);
        if let (Some(client_id), Some(message_id)) = (client_id, sent) {
            self.people.later.push(Later::Sent {
                agent,
                session,
                client_id,
                message_id,
            });
        }
    }

    /// Applies an input under `account`; returns the id of a message it sent, if any.
    pub(in crate::engine) fn feed_desk(
        &mut self,
        input: Input,
        account: &crate::domain::AccountId,
        now: Timestamp,
        set: &mut WriteSet,
        outgoing: &mut Vec<Outbound>,
    ) -> Option<MessageId> {
        let account = self.accounts.get(account)?;
        let effects = crate::engine::logbook::handle(&mut self.desk, input, now, account);
        let sent = effects.iter().find_map(|e| match e {
            Effect::Send { message, .. } => Some(message.id),
            _ => None,
        });
        self.write_turns(effects, None, now, set, outgoing);
        sent
    }
}
