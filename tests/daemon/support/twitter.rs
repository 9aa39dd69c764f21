//! A fake of the Twitter/X v1.1 API on 127.0.0.1:0: it checks every request's OAuth 1.0a
//! signature with the test's credentials (its own implementation of RFC 5849, not Baton's),
//! answers 401 to anything else, records every call, and answers from a script when one is set.
//! It keeps the Account Activity environment's webhooks and whether the account is subscribed.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The test's app and account credentials, as the daemon and the fake both know them.
pub const CONSUMER_KEY: &str = "test-consumer-key";
pub const CONSUMER_SECRET: &str = "test consumer secret+/=";
pub const ACCESS_TOKEN: &str = "1234567890-testaccesstoken";
pub const ACCESS_SECRET: &str = "test access secret&!";

/// One request as the fake received it (after the signature check).
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Value,
    /// Whether its OAuth signature verified with the test's credentials.
    pub signed: bool,
}

/// A scripted answer: status, headers and JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Answer {
    /// 429 with the window's reset at `reset` (epoch seconds).
    pub fn rate_limited(reset: u64) -> Answer {
        Answer {
            status: 429,
            headers: vec![
                ("x-rate-limit-remaining".into(), "0".into()),
                ("x-rate-limit-reset".into(), reset.to_string()),
            ],
            body: json!({"errors": [{"code": 88, "message": "Rate limit exceeded"}]}),
        }
    }

    /// A refusal with the platform's `{"errors":[{code, message}]}` body.
    pub fn error(status: u16, code: u32, message: &str) -> Answer {
        Answer {
            status,
            headers: vec![],
            body: json!({"errors": [{"code": code, "message": message}]}),
        }
    }

    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: vec![],
            body: json!({}),
        }
    }
}

pub struct FakeTwitter {
    /// What `api_base` and `upload_base` point at.
    pub base: String,
    pub calls: Arc<Mutex<Vec<Call>>>,
    /// Answers to give, in order, before the defaults again.
    pub script: Arc<Mutex<VecDeque<Answer>>>,
    on: Arc<Mutex<Vec<OnCall>>>,
    activity: Arc<Mutex<Activity>>,
}

/// An answer for the next call (or, `sticky`, every call) of one method to a path ending so.
#[derive(Clone)]
struct OnCall {
    method: String,
    path_end: String,
    answer: Answer,
    sticky: bool,
}

/// The Account Activity environment as the fake keeps it.
#[derive(Default)]
struct Activity {
    webhooks: Vec<Value>,
    subscribed: bool,
}

#[derive(Clone)]
struct Fake {
    base: String,
    calls: Arc<Mutex<Vec<Call>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    on: Arc<Mutex<Vec<OnCall>>>,
    activity: Arc<Mutex<Activity>>,
}

impl FakeTwitter {
    pub async fn start() -> FakeTwitter {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let fake = Fake {
            base: base.clone(),
            calls: Arc::default(),
            script: Arc::default(),
            on: Arc::default(),
            activity: Arc::default(),
        };
        let (calls, script) = (fake.calls.clone(), fake.script.clone());
        let (on, activity) = (fake.on.clone(), fake.activity.clone());
        let app = Router::new().fallback(handle).with_state(fake);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeTwitter {
            base,
            calls,
            script,
            on,
            activity,
        }
    }

    /// Answers the next `method` call to a path ending in `path_end` with `answer`.
    pub fn push_on(&self, method: &str, path_end: &str, answer: Answer) {
        self.on.lock().unwrap().push(OnCall {
            method: method.into(),
            path_end: path_end.into(),
            answer,
            sticky: false,
        });
    }

    /// Answers every `method` call to a path ending in `path_end` with `answer`, in place of
    /// any answer set for them before, for the rest of the test.
    pub fn always_on(&self, method: &str, path_end: &str, answer: Answer) {
        let mut on = self.on.lock().unwrap();
        on.retain(|o| !(o.method == method && o.path_end == path_end));
        on.push(OnCall {
            method: method.into(),
            path_end: path_end.into(),
            answer,
            sticky: true,
        });
    }

    /// The webhook URLs registered with the environment.
    pub fn webhook_urls(&self) -> Vec<String> {
        let activity = self.activity.lock().unwrap();
        let urls = activity.webhooks.iter().map(|w| w["url"].as_str().unwrap());
        urls.map(str::to_owned).collect()
    }

    pub fn subscribed(&self) -> bool {
        self.activity.lock().unwrap().subscribed
    }

    pub fn push(&self, answer: Answer) {
        self.script.lock().unwrap().push_back(answer);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The direct messages received so far, signed or not.
    pub fn dms(&self) -> Vec<Call> {
        let path = "/1.1/direct_messages/events/new.json";
        self.calls()
            .into_iter()
            .filter(|c| c.path == path)
            .collect()
    }
}

async fn handle(State(fake): State<Fake>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 16 << 20).await.unwrap_or_default();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let query = parts.uri.query().map(form_pairs).unwrap_or_default();
    let form = header("content-type").starts_with("application/x-www-form-urlencoded");
    let form_params = if form {
        form_pairs(&String::from_utf8_lossy(&bytes))
    } else {
        vec![]
    };
    let url = format!("{}{}", fake.base, parts.uri.path());
    let signed = verify(
        parts.method.as_str(),
        &url,
        &query,
        &form_params,
        &header("authorization"),
    );
    let body = if form {
        Value::Object(
            form_params
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    let path = parts.uri.path().to_owned();
    let n = {
        let mut calls = fake.calls.lock().unwrap();
        calls.push(Call {
            method: parts.method.to_string(),
            path: path.clone(),
            query: query.clone(),
            body: body.clone(),
            signed,
        });
        calls.len()
    };
    if !signed {
        return reply(Answer::error(401, 32, "Could not authenticate you."));
    }
    let on = {
        let mut on = fake.on.lock().unwrap();
        let at = on
            .iter()
            .position(|o| o.method == parts.method.as_str() && path.ends_with(&o.path_end));
        at.map(|i| match on[i].sticky {
            true => on[i].answer.clone(),
            false => on.remove(i).answer,
        })
    };
    if let Some(answer) = on {
        return reply(answer);
    }
    if let Some(scripted) = fake.script.lock().unwrap().pop_front() {
        return reply(scripted);
    }
    if let Some(what) = path.strip_prefix("/1.1/account_activity/all/") {
        let what = what.split_once('/').map_or("", |(_env, what)| what);
        return reply(activity(&fake, parts.method.as_str(), what, &query, n));
    }
    let ok = |body: Value| Answer {
        status: 200,
        headers: vec![],
        body,
    };
    reply(match (parts.method.as_str(), path.as_str()) {
        ("POST", "/1.1/direct_messages/events/new.json") => ok(json!({"event": {
            "type": "message_create", "id": format!("9{n:05}"), "created_timestamp": "1700000000000",
            "message_create": body["event"]["message_create"].clone()}})),
        ("POST", "/1.1/media/upload.json") => {
            ok(json!({"media_id": 7105, "media_id_string": "7105"}))
        }
        ("POST", "/1.1/custom_profiles/new.json") => ok(json!({"custom_profile": {
            "id": format!("1{n:05}"), "created_timestamp": "1700000000000",
            "name": body["custom_profile"]["name"].clone(),
            "avatar": {"media": {"url": "https://pbs.example/a.jpg"}}}})),
        ("GET", "/1.1/custom_profiles/list.json") => ok(json!({"custom_profiles": []})),
        ("DELETE", "/1.1/custom_profiles/destroy.json") => Answer::status(204),
        _ => Answer::error(404, 34, "Sorry, that page does not exist."),
    })
}

/// The Account Activity calls setup makes; `what` is the path after the environment.
fn activity(fake: &Fake, method: &str, what: &str, query: &[(String, String)], n: usize) -> Answer {
    let mut activity = fake.activity.lock().unwrap();
    let ok = |body: Value| Answer {
        status: 200,
        headers: vec![],
        body,
    };
    match (method, what) {
        ("GET", "webhooks.json") => ok(Value::Array(activity.webhooks.clone())),
        ("POST", "webhooks.json") => {
            let Some((_, url)) = query.iter().find(|(k, _)| k == "url") else {
                return Answer::error(400, 214, "url is required");
            };
            if !activity.webhooks.is_empty() {
                return Answer::error(403, 214, "Too many resources already created.");
            }
            let webhook = json!({"id": format!("8{n:05}"), "url": url, "valid": true,
                "created_timestamp": "2025-11-29 10:00:00 +0000"});
            activity.webhooks.push(webhook.clone());
            ok(webhook)
        }
        ("GET", "subscriptions.json") if activity.subscribed => Answer::status(204),
        ("GET", "subscriptions.json") => Answer::error(404, 34, "Sorry, that page does not exist."),
        ("POST", "subscriptions.json") => {
            activity.subscribed = true;
            Answer::status(204)
        }
        _ => Answer::error(404, 34, "Sorry, that page does not exist."),
    }
}

fn reply(a: Answer) -> Response {
    let mut res = (
        StatusCode::from_u16(a.status).unwrap(),
        Body::from(a.body.to_string()),
    )
        .into_response();
    for (k, v) in a.headers {
        res.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    res
}

/// Checks `Authorization: OAuth …` against the test's credentials (RFC 5849 §3.4.1).
fn verify(
    method: &str,
    url: &str,
    query: &[(String, String)],
    form: &[(String, String)],
    header: &str,
) -> bool {
    let Some(fields) = header.strip_prefix("OAuth ") else {
        return false;
    };
    let mut oauth: Vec<(String, String)> = fields
        .split(',')
        .filter_map(|f| {
            let (k, v) = f.trim().split_once('=')?;
            Some((k.to_owned(), percent_decode(v.trim_matches('"'), false)))
        })
        .collect();
    let get = |oauth: &[(String, String)], k: &str| {
        oauth.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    };
    let Some(given) = get(&oauth, "oauth_signature") else {
        return false;
    };
    if get(&oauth, "oauth_consumer_key").as_deref() != Some(CONSUMER_KEY)
        || get(&oauth, "oauth_token").as_deref() != Some(ACCESS_TOKEN)
        || get(&oauth, "oauth_signature_method").as_deref() != Some("HMAC-SHA1")
    {
        return false;
    }
    oauth.retain(|(k, _)| k != "oauth_signature");
    let mut params: Vec<(String, String)> = query
        .iter()
        .chain(form)
        .chain(&oauth)
        .map(|(k, v)| (rfc3986(k), rfc3986(v)))
        .collect();
    params.sort();
    let params = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base = format!("{method}&{}&{}", rfc3986(url), rfc3986(&params));
    let key = format!("{}&{}", rfc3986(CONSUMER_SECRET), rfc3986(ACCESS_SECRET));
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(base.as_bytes());
    let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    want == given
}

fn rfc3986(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `x-twitter-webhooks-signature` for a body, as the platform signs deliveries.
pub fn delivery_signature(body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(CONSUMER_SECRET.as_bytes()).unwrap();
    mac.update(body);
    let sig = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(sig)
    )
}

/// Posts a delivery signed as the platform signs it; the status and the JSON answer.
pub async fn post_delivery(d: &crate::support::Daemon, body: &[u8]) -> (u16, Value) {
    let res = d
        .client
        .post(format!("{}/v1/channels/twitter/webhook", d.base))
        .header("content-type", "application/json")
        .header("x-twitter-webhooks-signature", delivery_signature(body))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A daemon whose account `acme` is Twitter user 42 against `fake`, credentials from the
/// (test's own) environment.
pub async fn twitter_daemon(
    fake: &FakeTwitter,
) -> (
    tempfile::TempDir,
    crate::support::FakeSink,
    crate::support::Daemon,
) {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::support::FakeSink::start().await;
    let extra = format!(
        "[channels.twitter]\napi_base = \"{0}\"\nupload_base = \"{0}\"\n\
         consumer_key = {{ env = \"TW_KEY\" }}\nconsumer_secret = {{ env = \"TW_SECRET\" }}\n\
         [accounts.acme.twitter]\nuser_id = \"42\"\n\
         access_token = {{ env = \"TW_TOKEN\" }}\naccess_secret = {{ env = \"TW_TOKEN_SECRET\" }}\n",
        fake.base
    );
    let env = |name: &str| match name {
        "TW_KEY" => Some(CONSUMER_KEY.to_owned()),
        "TW_SECRET" => Some(CONSUMER_SECRET.to_owned()),
        "TW_TOKEN" => Some(ACCESS_TOKEN.to_owned()),
        "TW_TOKEN_SECRET" => Some(ACCESS_SECRET.to_owned()),
        _ => None,
    };
    let d = crate::support::Daemon::start_with(dir.path(), &out.url, &extra, env).await;
    (dir, out, d)
}
