//! `GET /v1/channels`: per channel and account, whether it can send now and how many of its
//! messages are held. Spelled here, not by the sink's status types.

use crate::channels::twitter::status::{AccountStatus, SendState};
use crate::domain::Channel;
use serde::Serialize;

/// `GET /v1/channels`.
#[derive(Debug, Serialize)]
pub struct ChannelsJson {
    pub channels: Vec<ChannelJson>,
}

#[derive(Debug, Serialize)]
pub struct ChannelJson {
    pub channel: &'static str,
    pub accounts: Vec<ChannelAccountJson>,
}

#[derive(Debug, Serialize)]
pub struct ChannelAccountJson {
    pub account: String,
    #[serde(flatten)]
    pub state: SendStateJson,
    pub held: usize,
}

/// `status`, with what goes with it.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SendStateJson {
    Ok,
    RateLimited { until: String },
    CredentialsRefused { since: String, message: String },
    NotConfigured,
}

impl ChannelJson {
    pub fn new(channel: Channel, accounts: &[AccountStatus]) -> Self {
        ChannelJson {
            channel: match channel {
                Channel::Webhook => "webhook",
                Channel::Twitter => "twitter",
            },
            accounts: accounts.iter().map(ChannelAccountJson::from).collect(),
        }
    }
}

impl From<&AccountStatus> for ChannelAccountJson {
    fn from(a: &AccountStatus) -> Self {
        ChannelAccountJson {
            account: a.account.to_string(),
            state: match &a.state {
                SendState::Ok => SendStateJson::Ok,
                SendState::RateLimited { until } => SendStateJson::RateLimited {
                    until: until.to_string(),
                },
                SendState::CredentialsRefused { since, message } => {
                    SendStateJson::CredentialsRefused {
                        since: since.to_string(),
                        message: message.clone(),
                    }
                }
                SendState::NotConfigured => SendStateJson::NotConfigured,
            },
            held: a.held,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountId, Timestamp};

    #[test]
    fn the_channels_response_keeps_its_bytes() {
        let at = |ms: u64| Timestamp(1_764_410_400_000 + ms);
        let line = |account: &str, state, held| AccountStatus {
            account: AccountId::from(account),
            state,
            held,
        };
        let accounts = [
            line("acme", SendState::Ok, 0),
            line("beta", SendState::RateLimited { until: at(900_000) }, 4),
            line(
                "gamma",
                SendState::CredentialsRefused {
                    since: at(1_000),
                    message: "Invalid or expired token.".into(),
                },
                2,
            ),
            line("delta", SendState::NotConfigured, 1),
        ];
        let body = ChannelsJson {
            channels: vec![ChannelJson::new(Channel::Twitter, &accounts)],
        };
        let text = serde_json::to_string(&body).unwrap();
        crate::golden::check("admin/channels", &text);
    }
}
