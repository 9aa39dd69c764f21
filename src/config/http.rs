//! `[http]`: how long a client may take to send a request and how many may be connected at
//! once, so that slow or silent peers cannot hold the port's sockets and memory.
//!
//! Durations are read as text and parsed here (not through serde) so a bad value is reported
//! at the position the author wrote it.

use super::account::At;
use super::{ConfigError, Found};
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// The largest cap accepted: tokio's semaphores hold at most `usize::MAX >> 3` permits, and
/// no server here holds anywhere near a million sockets.
const MAX_CAP: u64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// The whole request head (request line and headers) must arrive within this, counted
    /// from the connection's accept or from the first byte after a keep-alive pause.
    pub header_timeout: Duration,
    /// The whole request body must arrive within this, counted from the end of the head.
    pub body_timeout: Duration,
    /// How long a keep-alive connection may sit between requests.
    pub idle_timeout: Duration,
    /// Connections open at once; past it a new connection is closed at once.
    pub max_connections: usize,
    /// Agent WebSockets open at once; past it the upgrade is refused with a JSON 503.
    pub max_agent_sockets: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            max_agent_sockets: 5_000,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    header_timeout: Option<Spanned<String>>,
    body_timeout: Option<Spanned<String>>,
    idle_timeout: Option<Spanned<String>>,
    max_connections: Option<Spanned<u64>>,
    max_agent_sockets: Option<Spanned<u64>>,
}

impl RawHttp {
    /// The table, defaults where a value is missing or refused (each refusal kept in `found`).
    pub(super) fn check(&self, at: At<'_>, found: &Found) -> HttpConfig {
        let d = HttpConfig::default();
        let duration = |key, v| found.keep(duration(key, v, at)).flatten();
        let cap = |key, v| found.keep(cap(key, v, at)).flatten();
        HttpConfig {
            header_timeout: duration("header_timeout", &self.header_timeout)
                .unwrap_or(d.header_timeout),
            body_timeout: duration("body_timeout", &self.body_timeout).unwrap_or(d.body_timeout),
            idle_timeout: duration("idle_timeout", &self.idle_timeout).unwrap_or(d.idle_timeout),
            max_connections: cap("max_connections", &self.max_connections)
                .unwrap_or(d.max_connections),
            max_agent_sockets: cap("max_agent_sockets", &self.max_agent_sockets)
                .unwrap_or(d.max_agent_sockets),
        }
    }
}

fn duration(
    key: &str,
    value: &Option<Spanned<String>>,
    at: At<'_>,
) -> Result<Option<Duration>, ConfigError> {
    let Some(v) = value else { return Ok(None) };
    match humantime::parse_duration(v.get_ref()) {
        // Zero would close every connection before it could say anything.
        Ok(d) if d.is_zero() => Err(at(Some(v.span()), format!("{key} must be above zero"))),
        Ok(d) => Ok(Some(d)),
        Err(e) => Err(at(
            Some(v.span()),
            format!(
                "{key}: '{}' is not a duration like \"10s\": {e}",
                v.get_ref()
            ),
        )),
    }
}

fn cap(key: &str, value: &Option<Spanned<u64>>, at: At<'_>) -> Result<Option<usize>, ConfigError> {
    let Some(v) = value else { return Ok(None) };
    let n = *v.get_ref();
    if !(1..=MAX_CAP).contains(&n) {
        let message = format!("{key} must be between 1 and {MAX_CAP}");
        return Err(at(Some(v.span()), message));
    }
    Ok(usize::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::HttpConfig;
    use crate::config::Config;
    use std::path::Path;
    use std::time::Duration;

    fn parse(http: &str) -> Result<HttpConfig, String> {
        let text = format!("[accounts.acme]\nname = \"Acme\"\n[http]\n{http}\n");
        Config::parse(&text, Path::new("/etc/baton/baton.toml"), |_| None)
            .map(|c| c.http)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_values() {
        assert_eq!(parse("").unwrap(), HttpConfig::default());
        let d = HttpConfig::default();
        assert_eq!(d.header_timeout, Duration::from_secs(10));
        assert_eq!(d.body_timeout, Duration::from_secs(30));
        assert_eq!(d.idle_timeout, Duration::from_secs(60));
        assert_eq!((d.max_connections, d.max_agent_sockets), (10_000, 5_000));
        let c = parse(
            "header_timeout = \"250ms\"\nbody_timeout = \"1m\"\nidle_timeout = \"2s\"\n\
             max_connections = 7\nmax_agent_sockets = 3",
        )
        .unwrap();
        assert_eq!(c.header_timeout, Duration::from_millis(250));
        assert_eq!(c.body_timeout, Duration::from_secs(60));
        assert_eq!(c.idle_timeout, Duration::from_secs(2));
        assert_eq!((c.max_connections, c.max_agent_sockets), (7, 3));
    }

    #[test]
    fn bad_values_point_at_what_was_written() {
        let cases = [
            (
                "header_timeout = \"soon\"",
                "baton.toml:4:18: header_timeout: 'soon'",
            ),
            (
                "body_timeout = \"0s\"",
                "baton.toml:4:16: body_timeout must be above zero",
            ),
            (
                "max_connections = 0",
                "baton.toml:4:19: max_connections must be between 1",
            ),
            (
                "max_agent_sockets = 2000000",
                "baton.toml:4:21: max_agent_sockets must be",
            ),
            (
                "max_conections = 5",
                "baton.toml:4:1: unknown field `max_conections`",
            ),
            ("idle_timeout = 5", "baton.toml:4:16: invalid type"),
        ];
        for (http, want) in cases {
            let got = parse(http).unwrap_err();
            assert!(got.contains(want), "{http}: {got}");
        }
    }
}
