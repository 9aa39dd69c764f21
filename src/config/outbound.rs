//! `[outbound]`: how patiently a channel's outbox retries a receiver that keeps failing.
//!
//! A conversation whose message still fails after a round's quick retries waits before its
//! next try, the wait doubling up to `retry_ceiling`: a receiver down for an hour sees a few
//! tries per conversation per ceiling, not one a second.

use super::account::At;
use super::ConfigError;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundConfig {
    /// The longest wait between two tries of one conversation's stuck message.
    pub retry_ceiling: Duration,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            retry_ceiling: Duration::from_secs(300),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutbound {
    retry_ceiling: Option<Spanned<String>>,
}

impl RawOutbound {
    pub(super) fn check(&self, at: At<'_>) -> Result<OutboundConfig, ConfigError> {
        let Some(v) = &self.retry_ceiling else {
            return Ok(OutboundConfig::default());
        };
        match humantime::parse_duration(v.get_ref()) {
            // Zero would retry a dead receiver as fast as the rounds go.
            Ok(d) if d.is_zero() => Err(at(
                Some(v.span()),
                "retry_ceiling must be above zero".into(),
            )),
            Ok(retry_ceiling) => Ok(OutboundConfig { retry_ceiling }),
            Err(e) => Err(at(
                Some(v.span()),
                format!(
                    "retry_ceiling: '{}' is not a duration like \"5m\": {e}",
                    v.get_ref()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OutboundConfig;
    use crate::config::Config;
    use std::path::Path;
    use std::time::Duration;

    fn parse(outbound: &str) -> Result<OutboundConfig, String> {
        let text = format!("[accounts.acme]\nname = \"Acme\"\n[outbound]\n{outbound}\n");
        Config::parse(&text, Path::new("/etc/baton/baton.toml"), |_| None)
            .map(|c| c.outbound)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_ceiling_of_minutes_by_default_and_any_positive_duration() {
        assert_eq!(parse("").unwrap().retry_ceiling, Duration::from_secs(300));
        let c = parse("retry_ceiling = \"750ms\"").unwrap();
        assert_eq!(c.retry_ceiling, Duration::from_millis(750));
        let e = parse("retry_ceiling = \"0s\"").unwrap_err();
        assert!(e.contains("4:17: retry_ceiling must be above zero"), "{e}");
        let e = parse("retry_ceiling = \"soon\"").unwrap_err();
        assert!(e.contains("'soon' is not a duration"), "{e}");
    }
}
