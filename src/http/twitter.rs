//! `GET` and `POST /v1/channels/twitter/webhook`: the Account Activity challenge, and deliveries
//! acknowledged only once every customer message and every answer from outside Baton (an echo
//! another app sent) in them is durable. Echoes of Baton's own sends change nothing; typing and
//! read events go live to the agent holding the conversation.

use super::webhook::read_body;
use super::ApiError;
use crate::channels::twitter::{self, Echo, Event, TwitterError, SIGNATURE_HEADER};
use crate::domain::{AccountId, Channel, CustomerId, EventId};
use crate::engine::{CustomerDid, CustomerSignal, Inbound, Intake, OutsideReply};
use crate::shared::{Shared, TwitterIn};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::HeaderMap;
use axum::Json;
use foldhash::HashMap;
use serde_json::{json, Value};
use std::sync::Arc;

/// Without `[channels.twitter]` the route does not exist, as far as the platform can tell.
fn configured(s: &Shared) -> Result<&Arc<TwitterIn>, ApiError> {
    s.twitter.as_ref().ok_or(ApiError::NotFound)
}

fn refused(e: TwitterError) -> ApiError {
    match e {
        TwitterError::Malformed(m) => ApiError::BadRequest(m),
        TwitterError::MissingSignature | TwitterError::BadSignature => {
            ApiError::Unauthorized(e.to_string())
        }
    }
}

pub async fn crc(
    State(s): State<Shared>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let tw = configured(&s)?;
    let Query(q) = query?;
    let token = q
        .get("crc_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::BadRequest("crc_token is required".into()))?;
    let response_token = twitter::crc_response(&tw.consumer_secret, token);
    Ok(Json(json!({ "response_token": response_token })))
}

/// Takes the whole request, as the webhook does: the `HeaderMap` extractor would copy every
/// header for the two read.
pub async fn deliveries(State(s): State<Shared>, req: Request) -> Result<Json<Value>, ApiError> {
    let started = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    let answer = deliver(&s, &parts.headers, body).await;
    if let Err(e) = &answer {
        s.metrics
            .dm_refused(Channel::Twitter.into(), super::metrics::refusal(e));
    } else {
        s.metrics.acked(Channel::Twitter.into(), started.elapsed());
    }
    answer
}

async fn deliver(s: &Shared, headers: &HeaderMap, body: Body) -> Result<Json<Value>, ApiError> {
    let tw = configured(s)?;
    let body = read_body(headers, body).await?;
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    twitter::verify(&tw.consumer_secret, sig, &body).map_err(refused)?;
    let delivery = twitter::parse(&body).map_err(refused)?;
    let Some(account) = tw.accounts.get(&delivery.for_user_id) else {
        // Not a 2xx: behind a router this daemon is the wrong one, and the platform's retry
        // (after the router's map is fixed) is what gets the delivery to its owner.
        tracing::warn!(
            for_user_id = %delivery.for_user_id,
            "twitter delivery for a user id no account here has; refused as misdirected"
        );
        return Err(ApiError::MisdirectedUser(delivery.for_user_id));
    };
    let (mut ours, mut typing, mut read, mut ignored) = (0usize, 0usize, 0usize, 0usize);
    let mut taken = Vec::new();
    let mut signals = Vec::new();
    for event in delivery.events {
        match event {
            Event::Message(m) => taken.push(Taken::Message(m.into_inbound(account.clone()))),
            Event::Echo(e) if is_ours(tw, account, &e) => ours += 1,
            // The brand wrote from another app: a person is answering outside Baton.
            Event::Echo(e) => taken.push(Taken::Outside(OutsideReply {
                event: EventId(e.id),
                account: account.clone(),
                channel: Channel::Twitter,
                customer: CustomerId(e.recipient),
                text: e.text,
                attachments: e.attachments,
            })),
            Event::Typing { customer } => {
                typing += 1;
                signals.push(CustomerSignal {
                    account: account.clone(),
                    channel: Channel::Twitter,
                    customer: CustomerId(customer),
                    what: CustomerDid::Typing,
                });
            }
            Event::Read {
                customer,
                last_read,
            } => {
                read += 1;
                // The platform names the last event read: one of ours, if it is remembered.
                let message = last_read.and_then(|id| tw.sent.message(account, &id));
                signals.push(CustomerSignal {
                    account: account.clone(),
                    channel: Channel::Twitter,
                    customer: CustomerId(customer),
                    what: CustomerDid::Read(message),
                });
            }
            Event::Ignored(_) => ignored += 1,
        }
    }
    tracing::debug!(
        account = %account,
        taken = taken.len(),
        ours,
        typing,
        read,
        ignored,
        "twitter delivery"
    );
    // Submitted together, so they share group commits instead of waiting one flush each. The
    // engine still takes them in the delivery's order (a customer's message after an answer
    // from outside finds the bot silenced): `join_all` polls them in turn, and the command
    // channel queues its senders first come, first served.
    let results = futures::future::join_all(taken.into_iter().map(|t| {
        let engine = s.engine.clone();
        async move {
            match t {
                Taken::Message(dm) => engine.inbound(dm).await.map(Some),
                // Not counted: the answer says what became of customers' messages.
                Taken::Outside(o) => engine.outside(o).await.map(|_| None),
            }
        }
    }))
    .await;
    // Live only: they reach the agent holding the conversation, after the messages before.
    for signal in signals {
        s.engine.customer_signal(signal).await;
    }
    let (mut accepted, mut duplicates) = (0usize, 0usize);
    for r in results {
        match r {
            Ok(Some(intake @ Intake::Accepted)) => {
                s.metrics
                    .dm(Channel::Twitter.into(), super::metrics::outcome(intake));
                accepted += 1
            }
            Ok(Some(intake @ Intake::Duplicate)) => {
                s.metrics
                    .dm(Channel::Twitter.into(), super::metrics::outcome(intake));
                duplicates += 1
            }
            Ok(None) => {}
            // Any message not durable: the platform must deliver again (the rest dedupe).
            Err(e) => return Err(ApiError::Unavailable(e.to_string())),
        }
    }
    Ok(Json(
        json!({ "status": "ok", "accepted": accepted, "duplicates": duplicates }),
    ))
}

/// What a delivery hands the engine, in its order.
enum Taken {
    Message(Inbound),
    Outside(OutsideReply),
}

/// An echo of Baton's own send: from our app, or an id the sink was given back lately.
fn is_ours(tw: &TwitterIn, account: &AccountId, e: &Echo) -> bool {
    let from_our_app = tw.app_id.is_some() && e.source_app_id == tw.app_id;
    from_our_app || tw.sent.contains(account, &e.id)
}
