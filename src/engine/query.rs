//! Read-only questions for the admin API, answered from the engine's own state.

use super::{EngineError, EngineHandle, Reply};
use crate::domain::{AccountId, Conversation, ConversationId, Desk, Message, Ticket};
use crate::store::Store;
use serde::Serialize;
use std::collections::HashMap;
use tokio::sync::oneshot;

pub enum Query {
    Queue(AccountId, Reply<QueueView>),
    Conversation(ConversationId, Reply<ConversationView>),
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueView {
    pub account: AccountId,
    pub entries: Vec<QueueEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueEntry {
    pub position: usize,
    pub conversation: ConversationId,
    pub customer: String,
    #[serde(flatten)]
    pub ticket: Ticket,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConversationView {
    pub conversation: Conversation,
    pub transcript: Vec<Message>,
}

impl EngineHandle {
    pub async fn queue(&self, account: AccountId) -> Result<QueueView, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(super::Command::Query(Query::Queue(account, reply)), rx)
            .await
    }

    pub async fn conversation(&self, id: ConversationId) -> Result<ConversationView, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.call(super::Command::Query(Query::Conversation(id, reply)), rx)
            .await
    }
}

pub(super) fn answer(
    q: Query,
    desk: &Desk,
    transcripts: &HashMap<ConversationId, Vec<u64>>,
    store: &Store,
) {
    match q {
        Query::Queue(account, reply) => {
            let entries = desk
                .queue(&account)
                .into_iter()
                .flat_map(|q| q.iter())
                .filter_map(|id| desk.conversation(id))
                .enumerate()
                .filter_map(|(i, c)| {
                    Some(QueueEntry {
                        position: i + 1,
                        conversation: c.id,
                        customer: c.customer.id.0.clone(),
                        ticket: c.ticket()?.clone(),
                    })
                })
                .collect();
            let _ = reply.send(Ok(QueueView { account, entries }));
        }
        Query::Conversation(id, reply) => {
            let view = match desk.conversation(id) {
                None => Err(EngineError::NoSuchConversation),
                Some(c) => store
                    .transcript(transcripts.get(&id).map_or(&[][..], Vec::as_slice))
                    .map(|transcript| ConversationView {
                        conversation: c.clone(),
                        transcript,
                    })
                    .map_err(|_| EngineError::Unavailable),
            };
            let _ = reply.send(view);
        }
    }
}
