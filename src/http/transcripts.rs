//! Transcripts out (admin token): `GET /v1/conversations` lists conversations open and at rest,
//! filtered and paged by a stable cursor (ids only grow, so "after the last id seen" never
//! skips or repeats one); `GET /v1/export` streams one JSON line per message, a page of
//! conversations at a time, so neither holds more than a page in memory.

use super::admin::authorize;
use super::json::{ConversationsJson, ExportLineJson};
use super::ApiError;
use crate::domain::{AccountId, AgentId, ConversationId, Timestamp};
use crate::engine::{author_agent, page, Filter, Resident, Since, StateName, Watermarks};
use crate::shared::Shared;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::Json;
use tokio::sync::mpsc;

/// A listing's page size when none is asked for, and the most one may ask for.
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;
/// Conversations per page of an export.
const EXPORT_PAGE: usize = 100;
/// Bytes gathered before a piece of the export's body is handed on.
const CHUNK: usize = 64 * 1024;
/// Pieces encoded ahead of the socket: bounds what a slow client costs.
const AHEAD: usize = 4;

/// Which endpoint the parameters are for: an export takes no cursor or limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    List,
    Export,
}

/// A listing's parameters, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub filter: Filter,
    pub after: Option<ConversationId>,
    pub limit: usize,
}

/// A parameter that cannot be taken, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query parameter '{param}': {message}")]
pub struct ParamError {
    pub param: String,
    pub message: String,
}

fn bad(param: &str, message: impl Into<String>) -> ParamError {
    ParamError {
        param: param.to_owned(),
        message: message.into(),
    }
}

/// Checks the query's pairs: each known parameter at most once and well-formed; an unknown one
/// is refused (a typo must not silently widen an export).
pub fn parse(pairs: &[(String, String)], endpoint: Endpoint) -> Result<Params, ParamError> {
    let mut params = Params {
        filter: Filter::default(),
        after: None,
        limit: DEFAULT_LIMIT,
    };
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in pairs {
        let key = key.as_str();
        let paged = matches!(key, "limit" | "after");
        let known = matches!(key, "state" | "account" | "agent" | "since") || paged;
        if !known || (paged && endpoint == Endpoint::Export) {
            return Err(bad(key, "not a parameter of this endpoint"));
        }
        if seen.contains(&key) {
            return Err(bad(key, "given more than once"));
        }
        seen.push(key);
        if value.is_empty() {
            return Err(bad(key, "empty"));
        }
        match key {
            "state" => params.filter.states = states(value).map_err(|m| bad(key, m))?,
            "account" => params.filter.account = Some(AccountId(value.clone())),
            "agent" => {
                params.filter.agent = Some(written::<AgentId>(value).map_err(|m| bad(key, m))?)
            }
            "since" => params.filter.since = Some(since(value).map_err(|m| bad(key, m))?),
            "after" => {
                params.after = Some(written::<ConversationId>(value).map_err(|m| bad(key, m))?)
            }
            _ => params.limit = limit(value).map_err(|m| bad(key, m))?,
        }
    }
    Ok(params)
}

fn states(value: &str) -> Result<Vec<StateName>, String> {
    let mut out = Vec::new();
    for name in value.split(',') {
        let s = StateName::parse(name).ok_or_else(|| {
            let names: Vec<&str> = StateName::ALL.iter().map(|n| n.as_str()).collect();
            format!(
                "'{name}' is not a state (one or more of {}, comma-separated)",
                names.join(", ")
            )
        })?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// An id only as Baton writes it (`c7`, `a2`): one thing, one name.
fn written<T: std::str::FromStr + ToString>(value: &str) -> Result<T, String> {
    match value.parse::<T>() {
        Ok(id) if id.to_string() == value => Ok(id),
        _ => Err(format!("'{value}' is not an id as Baton writes it")),
    }
}

fn since(value: &str) -> Result<Since, String> {
    if let Ok(d) = humantime::parse_duration(value) {
        return Ok(Since::Ago(d));
    }
    value
        .parse::<Timestamp>()
        .map(Since::At)
        .map_err(|_| format!("'{value}' is neither a duration (like 24h) nor an RFC 3339 time"))
}

fn limit(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) && n.to_string() == value => Ok(n),
        _ => Err(format!(
            "'{value}' is not a whole number from 1 to {MAX_LIMIT}"
        )),
    }
}

/// The token, then the parameters, then the account (a stranger learns nothing).
fn checked(
    s: &Shared,
    headers: &HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    endpoint: Endpoint,
) -> Result<Params, ApiError> {
    authorize(s, headers)?;
    let Query(pairs) = query?;
    let params = parse(&pairs, endpoint).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Some(a) = &params.filter.account {
        if !s.accounts.contains(&a.0) {
            let e = bad("account", format!("unknown account '{a}'"));
            return Err(ApiError::BadRequest(e.to_string()));
        }
    }
    Ok(params)
}

pub async fn list(
    State(s): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<ConversationsJson>, ApiError> {
    let p = checked(&s, &headers, query, Endpoint::List)?;
    let resident = s.engine.resident(p.after).await?;
    let page = tokio::task::spawn_blocking(move || page(&resident, &p.filter, p.after, p.limit))
        .await
        .map_err(|e| ApiError::Unavailable(format!("the listing did not finish: {e}")))?
        .map_err(|e| ApiError::Unavailable(format!("cannot read the store: {e}")))?;
    Ok(Json((&page).into()))
}

pub async fn export(
    State(s): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let p = checked(&s, &headers, query, Endpoint::Export)?;
    // The first page before the answer starts: an engine that cannot answer is a proper error.
    let first = s.engine.resident(None).await?;
    let mut filter = p.filter;
    // One moment for every page, so a long export does not drift.
    filter.since = filter.since.map(|since| Since::At(since.at(first.now)));
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(AHEAD);
    let engine = s.engine.clone();
    tokio::spawn(async move {
        let (mut resident, mut after) = (first, None);
        loop {
            let (f, out) = (filter.clone(), tx.clone());
            let done =
                tokio::task::spawn_blocking(move || export_page(&resident, &f, after, &out)).await;
            after = match done {
                Ok(Ok(Some(next))) => Some(next),
                Ok(Ok(None)) => return,
                Ok(Err(e)) => return cut(&tx, format!("cannot read the store: {e}")).await,
                Err(e) => return cut(&tx, format!("the export did not finish: {e}")).await,
            };
            resident = match engine.resident(after).await {
                Ok(r) => r,
                Err(e) => return cut(&tx, format!("the engine did not answer: {e}")).await,
            };
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::Unavailable(format!("cannot answer: {e}")))
}

/// An error item ends the body short of its end: the client sees a broken transfer, never a
/// complete-looking export with conversations missing.
async fn cut(tx: &mpsc::Sender<Result<Bytes, std::io::Error>>, why: String) {
    tracing::warn!(error = %why, "export not sent whole");
    let _ = tx.send(Err(std::io::Error::other(why))).await;
}

/// Writes one page's messages (those at or after `since`) as JSON lines, a piece at a time;
/// the next page's cursor, or `None` when this was the last (or the client went away).
fn export_page(
    resident: &Resident,
    filter: &Filter,
    after: Option<ConversationId>,
    out: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<Option<ConversationId>, crate::store::StoreError> {
    let store = &resident.store;
    let page = page(resident, filter, after, EXPORT_PAGE)?;
    let marks = Watermarks::read(store)?;
    let since = filter.since.map(|s| s.at(resident.now));
    let mut buf = Vec::with_capacity(CHUNK);
    for summary in &page.conversations {
        let c = &summary.conversation;
        for &turn in &summary.turns {
            for m in store.turn_messages(turn)? {
                if since.is_some_and(|s| m.at < s) {
                    continue;
                }
                let delivery = marks.of(store, c, turn, &m)?;
                let line = ExportLineJson::new(c, &m, author_agent(c, &m), delivery);
                // A line of our own types cannot fail to encode; skip it rather than panic.
                if serde_json::to_writer(&mut buf, &line).is_ok() {
                    buf.push(b'\n');
                }
            }
        }
        if buf.len() >= CHUNK && !hand_on(out, &mut buf) {
            return Ok(None);
        }
    }
    if !hand_on(out, &mut buf) {
        return Ok(None);
    }
    Ok(page.next)
}

/// Hands the gathered lines to the body; false once the client is gone.
fn hand_on(out: &mpsc::Sender<Result<Bytes, std::io::Error>>, buf: &mut Vec<u8>) -> bool {
    if buf.is_empty() {
        return true;
    }
    let piece = Bytes::from(std::mem::replace(buf, Vec::with_capacity(CHUNK)));
    out.blocking_send(Ok(piece)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::Duration;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn list(q: &[(&str, &str)]) -> Result<Params, ParamError> {
        parse(&pairs(q), Endpoint::List)
    }

    #[test]
    fn every_parameter_parses_as_written() {
        let p = list(&[
            ("state", "closed,with_agent,closed"),
            ("account", "acme"),
            ("agent", "a2"),
            ("since", "24h"),
            ("limit", "1000"),
            ("after", "c41"),
        ])
        .unwrap();
        assert_eq!(p.filter.states, [StateName::Closed, StateName::WithAgent]);
        assert_eq!(p.filter.account, Some(AccountId::from("acme")));
        assert_eq!(p.filter.agent, Some(AgentId(2)));
        assert_eq!(
            p.filter.since,
            Some(Since::Ago(Duration::from_secs(86_400)))
        );
        assert_eq!((p.limit, p.after), (1000, Some(ConversationId(41))));
        let at = list(&[("since", "2026-11-22T03:04:41.678Z")]).unwrap();
        assert_eq!(
            at.filter.since,
            Some(Since::At(Timestamp(1_795_316_681_678)))
        );
        assert_eq!(list(&[]).unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn a_bad_parameter_is_named() {
        for (q, param) in [
            (("limit", "0"), "limit"),
            (("limit", "1001"), "limit"),
            (("limit", "+5"), "limit"),
            (("after", "c01"), "after"),
            (("after", "7"), "after"),
            (("agent", "bob"), "agent"),
            (("state", "held"), "state"),
            (("state", "bot,"), "state"),
            (("since", "yesterday"), "since"),
            (("account", ""), "account"),
            (("page", "2"), "page"),
        ] {
            let e = list(&[q]).unwrap_err();
            assert_eq!(e.param, param, "{q:?}: {e}");
            assert!(e.to_string().contains(&format!("'{param}'")), "{e}");
        }
        let twice = list(&[("limit", "5"), ("limit", "6")]).unwrap_err();
        assert_eq!(twice.param, "limit");
        let paged = parse(&pairs(&[("after", "c1")]), Endpoint::Export).unwrap_err();
        assert_eq!(paged.param, "after");
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("state".to_string()),
            Just("account".to_string()),
            Just("agent".to_string()),
            Just("since".to_string()),
            Just("limit".to_string()),
            Just("after".to_string()),
            "[a-z_]{1,8}",
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,5}",
            "[ac][0-9]{1,4}",
            "[0-9]{1,3}[smhd]",
            "(bot|queued|offered|with_agent|closed|held)(,(bot|closed))?",
            ".{0,12}",
        ]
    }

    proptest! {
        /// Whatever the query, the parser answers (never panics), and what it takes it took
        /// from exactly one pair, written as Baton writes it.
        #[test]
        fn the_parser_takes_only_what_was_written(
            q in proptest::collection::vec((key(), value()), 0..6)
        ) {
            match parse(&q, Endpoint::List) {
                Err(e) => prop_assert!(q.iter().any(|(k, _)| *k == e.param)),
                Ok(p) => {
                    let given = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
                    prop_assert_eq!(p.after.map(|a| a.to_string()), given("after"));
                    prop_assert_eq!(p.filter.agent.map(|a| a.to_string()), given("agent"));
                    prop_assert_eq!(p.filter.account.map(|a| a.0), given("account"));
                    let limit = given("limit").unwrap_or_else(|| DEFAULT_LIMIT.to_string());
                    prop_assert_eq!(p.limit.to_string(), limit);
                    prop_assert!((1..=MAX_LIMIT).contains(&p.limit));
                    let mut keys: Vec<&String> = q.iter().map(|(k, _)| k).collect();
                    keys.sort();
                    let n = keys.len();
                    keys.dedup();
                    prop_assert_eq!(keys.len(), n, "a repeated parameter was taken");
                    if let Some(states) = given("state") {
                        let names: Vec<&str> = p.filter.states.iter().map(|s| s.as_str()).collect();
                        prop_assert!(states.split(',').all(|s| names.contains(&s)));
                    }
                }
            }
        }
    }
}
