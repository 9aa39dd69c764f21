//! A client for the running daemon's admin API, used by `baton agent …` and `baton profile …`:
//! one process owns the store, so command-line tools talk to it instead of opening it.

use serde::de::DeserializeOwned;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("cannot reach baton at {url}: {source}")]
    Transport { url: String, source: reqwest::Error },
    #[error("baton answered {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("unexpected answer from baton: {0}")]
    Decode(String),
}

pub struct AdminClient {
    base: String,
    token: String,
    /// Sent as `?account=` on every call: what a router in front of several daemons places
    /// the call by (docs/scaling.md).
    account: Option<String>,
    http: reqwest::Client,
}

impl AdminClient {
    /// `base` like `http://127.0.0.1:8080`.
    pub fn new(base: impl Into<String>, token: impl Into<String>) -> AdminClient {
        AdminClient {
            base: base.into().trim_end_matches('/').to_owned(),
            token: token.into(),
            account: None,
            http: reqwest::Client::new(),
        }
    }

    /// Every call names `account`, for a router to place it on the daemon that owns it.
    pub fn for_account(mut self, account: Option<String>) -> AdminClient {
        self.account = account;
        self
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, AdminError> {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<T, AdminError> {
        let req = self.http.post(format!("{}{path}", self.base)).json(body);
        self.send(req).await
    }

    pub async fn patch<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<T, AdminError> {
        let req = self.http.patch(format!("{}{path}", self.base)).json(body);
        self.send(req).await
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, AdminError> {
        let req = self.http.delete(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// A GET whose body the caller streams (a backup, an export): the response, once its
    /// status says the daemon agreed.
    pub async fn open(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<reqwest::Response, AdminError> {
        let req = self.http.get(format!("{}{path}", self.base)).query(query);
        let res = self.request(req).await?;
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        Err(refused(status, text))
    }

    async fn send<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, AdminError> {
        let res = self.request(req).await?;
        let status = res.status().as_u16();
        let text = res.text().await.map_err(|source| AdminError::Transport {
            url: self.base.clone(),
            source,
        })?;
        if !(200..300).contains(&status) {
            return Err(refused(status, text));
        }
        serde_json::from_str(&text).map_err(|e| AdminError::Decode(e.to_string()))
    }

    /// Sends `req` with the token, and the account when there is one.
    async fn request(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, AdminError> {
        let req = match &self.account {
            Some(a) => req.query(&[(crate::http::owner::ACCOUNT_PARAM, a)]),
            None => req,
        };
        req.bearer_auth(&self.token)
            .send()
            .await
            .map_err(|source| AdminError::Transport {
                url: self.base.clone(),
                source,
            })
    }
}

/// A refusal: the JSON body's `message` when it has one, else the body as it came.
fn refused(status: u16, text: String) -> AdminError {
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or(text);
    AdminError::Refused { status, message }
}
