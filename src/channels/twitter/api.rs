//! A small client of the v1.1 API acting as one brand account: Direct Messages, media upload,
//! Custom Profiles and the Account Activity calls setup needs, every request OAuth-signed.
//!
//! Every refusal is classified into one [`ApiError`], so callers decide on a kind (wait, retry,
//! give up, hold) and never on a status code.

use super::oauth::{self, Credentials};
use crate::config::{TwitterAccount, TwitterConfig};
use base64::Engine as _;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod error;
mod wire;

pub use error::{classify, ApiError, RateLimit};

/// One quick-reply option of a direct message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QuickOption<'a> {
    pub label: &'a str,
    pub metadata: &'a str,
}

/// A direct message created on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The created event's id.
    pub id: String,
    /// Set when this send used up the window: nothing more before then (epoch seconds).
    pub exhausted_until: Option<u64>,
}

/// A Custom Profile as the platform lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomProfile {
    pub id: String,
    pub name: String,
    #[serde(default, deserialize_with = "avatar_url")]
    pub avatar: Option<String>,
}

fn avatar_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Avatar {
        media: Media,
    }
    #[derive(Deserialize)]
    struct Media {
        url: Option<String>,
    }
    Ok(Option::<Avatar>::deserialize(d)?.and_then(|a| a.media.url))
}

/// A webhook URL registered for the Account Activity environment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    #[serde(default)]
    pub valid: bool,
}

/// What a request sends besides its query.
enum Body<'a> {
    Empty,
    Json(Vec<u8>),
    /// Form parameters are part of the signature, unlike a JSON body.
    Form(&'a [(&'a str, &'a str)]),
}

/// An answer with a 2xx status.
struct Answer {
    status: u16,
    limit: RateLimit,
    body: Vec<u8>,
}

impl Answer {
    fn json<T: for<'de> Deserialize<'de>>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Unreadable {
            status: self.status,
            reason: e.to_string(),
        })
    }
}

/// The v1.1 API as one account.
pub struct Client {
    http: reqwest::Client,
    api_base: String,
    upload_base: String,
    environment: String,
    creds: Credentials,
}

impl Client {
    pub fn new(
        app: &TwitterConfig,
        account: &TwitterAccount,
        timeout: Duration,
    ) -> Result<Client, reqwest::Error> {
        Ok(Client {
            http: reqwest::Client::builder().timeout(timeout).build()?,
            api_base: app.api_base.clone(),
            upload_base: app.upload_base.clone(),
            environment: app.environment.clone(),
            creds: Credentials {
                consumer_key: app.consumer_key.clone(),
                consumer_secret: app.consumer_secret.clone(),
                token: account.access_token.clone(),
                token_secret: account.access_secret.clone(),
            },
        })
    }

    /// Sends a direct message signed with `custom_profile_id`; the created event's id.
    pub async fn send_dm(
        &self,
        recipient: &str,
        text: &str,
        quick_replies: &[QuickOption<'_>],
        custom_profile_id: Option<&str>,
    ) -> Result<Sent, ApiError> {
        let body = wire::event(recipient, text, quick_replies, custom_profile_id);
        let a = self
            .call(
                Method::POST,
                Base::Api,
                "1.1/direct_messages/events/new.json",
                &[],
                body,
            )
            .await?;
        let created: wire::Created = a.json()?;
        Ok(Sent {
            id: created.event.id,
            exhausted_until: a.limit.exhausted_until(),
        })
    }

    /// Uploads an image (sent base64 in a form, so no multipart); its media id.
    pub async fn upload_media(&self, bytes: &[u8]) -> Result<String, ApiError> {
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        let form = [("media_data", data.as_str())];
        let a = self
            .call(
                Method::POST,
                Base::Upload,
                "1.1/media/upload.json",
                &[],
                Body::Form(&form),
            )
            .await?;
        Ok(a.json::<wire::Uploaded>()?.media_id_string)
    }

    pub async fn create_custom_profile(
        &self,
        name: &str,
        media_id: &str,
    ) -> Result<CustomProfile, ApiError> {
        let body = serde_json::json!({"custom_profile": {"name": name, "avatar": {"media": {"id": media_id}}}});
        let a = self
            .call(
                Method::POST,
                Base::Api,
                "1.1/custom_profiles/new.json",
                &[],
                Body::Json(body.to_string().into_bytes()),
            )
            .await?;
        Ok(a.json::<wire::OneProfile>()?.custom_profile)
    }

    /// Every Custom Profile of the account, following the cursor to the end.
    pub async fn list_custom_profiles(&self) -> Result<Vec<CustomProfile>, ApiError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        // A bound, so a platform repeating a cursor cannot keep this going for ever.
        for _ in 0..1_000 {
            let mut query = vec![("count", "50")];
            if let Some(c) = &cursor {
                query.push(("cursor", c.as_str()));
            }
            let a = self
                .call(
                    Method::GET,
                    Base::Api,
                    "1.1/custom_profiles/list.json",
                    &query,
                    Body::Empty,
                )
                .await?;
            let page: wire::ProfilePage = a.json()?;
            all.extend(page.custom_profiles);
            match page.next_cursor.filter(|c| !c.is_empty() && c != "0") {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Ok(all)
    }

    pub async fn destroy_custom_profile(&self, id: &str) -> Result<(), ApiError> {
        self.call(
            Method::DELETE,
            Base::Api,
            "1.1/custom_profiles/destroy.json",
            &[("id", id)],
            Body::Empty,
        )
        .await
        .map(drop)
    }

    /// Shows the customer that the account is typing (for a few seconds, or until it sends).
    pub async fn indicate_typing(&self, recipient: &str) -> Result<(), ApiError> {
        let form = [("recipient_id", recipient)];
        self.call(
            Method::POST,
            Base::Api,
            "1.1/direct_messages/indicate_typing.json",
            &[],
            Body::Form(&form),
        )
        .await
        .map(drop)
    }

    /// Marks the customer's messages read up to the event `last_read_event_id`.
    pub async fn mark_read(
        &self,
        recipient: &str,
        last_read_event_id: &str,
    ) -> Result<(), ApiError> {
        let form = [
            ("last_read_event_id", last_read_event_id),
            ("recipient_id", recipient),
        ];
        self.call(
            Method::POST,
            Base::Api,
            "1.1/direct_messages/mark_read.json",
            &[],
            Body::Form(&form),
        )
        .await
        .map(drop)
    }

    fn activity(&self, what: &str) -> String {
        format!(
            "1.1/account_activity/all/{}/{what}",
            oauth::encode(&self.environment)
        )
    }

    /// The webhook URLs registered for the environment.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, ApiError> {
        let path = self.activity("webhooks.json");
        self.call(Method::GET, Base::Api, &path, &[], Body::Empty)
            .await?
            .json()
    }

    /// Registers `url` (the platform sends it a CRC challenge before answering).
    pub async fn register_webhook(&self, url: &str) -> Result<Webhook, ApiError> {
        let path = self.activity("webhooks.json");
        self.call(Method::POST, Base::Api, &path, &[("url", url)], Body::Empty)
            .await?
            .json()
    }

    /// Whether the account's activity is delivered to the environment's webhook.
    pub async fn subscribed(&self) -> Result<bool, ApiError> {
        let path = self.activity("subscriptions.json");
        match self
            .call(Method::GET, Base::Api, &path, &[], Body::Empty)
            .await
        {
            Ok(_) => Ok(true),
            Err(ApiError::Rejected { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn subscribe(&self) -> Result<(), ApiError> {
        let path = self.activity("subscriptions.json");
        self.call(Method::POST, Base::Api, &path, &[], Body::Empty)
            .await
            .map(drop)
    }

    async fn call(
        &self,
        method: Method,
        base: Base,
        path: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
    ) -> Result<Answer, ApiError> {
        let base = match base {
            Base::Api => &self.api_base,
            Base::Upload => &self.upload_base,
        };
        let url = format!("{base}/{path}");
        let mut signed: Vec<(&str, &str)> = query.to_vec();
        if let Body::Form(form) = &body {
            signed.extend_from_slice(form);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let auth = oauth::authorization(
            &self.creds,
            method.as_str(),
            &url,
            &signed,
            &oauth::nonce(),
            now,
        );
        let mut req = self
            .http
            .request(method, format!("{url}{}", encoded_query(query)))
            .header(reqwest::header::AUTHORIZATION, auth);
        req = match body {
            Body::Empty => req,
            Body::Json(bytes) => req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes),
            Body::Form(form) => req
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(encoded_pairs(form)),
        };
        // The URL carries no credential, but a peer's error text has no place in logs anyway.
        let res = req
            .send()
            .await
            .map_err(|e| ApiError::Unavailable(e.without_url().to_string()))?;
        let status = res.status().as_u16();
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let limit = RateLimit {
            remaining: header("x-rate-limit-remaining"),
            reset: header("x-rate-limit-reset"),
        };
        let body = res
            .bytes()
            .await
            .map_err(|e| ApiError::Unavailable(e.without_url().to_string()))?
            .to_vec();
        if !(200..300).contains(&status) {
            return Err(classify(status, limit, &body));
        }
        Ok(Answer {
            status,
            limit,
            body,
        })
    }
}

#[derive(Clone, Copy)]
enum Base {
    Api,
    Upload,
}

fn encoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", oauth::encode(k), oauth::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encoded_query(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", encoded_pairs(pairs))
    }
}

#[cfg(test)]
mod tests;
