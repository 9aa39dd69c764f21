//! `[log]`: how the daemon's log lines are written to stderr. `format = "text"` (the default,
//! for a person at a terminal or journalctl) or `"json"` (one object per line, for a log
//! pipeline). `baton run --log-format` wins over the file.

use super::account::At;
use super::ConfigError;
use serde::Deserialize;
use toml::Spanned;

/// How each log line is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    /// One JSON object per line, fields at the top level.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log format '{other}' is not \"text\" or \"json\"")),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogConfig {
    pub format: LogFormat,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    format: Option<Spanned<String>>,
}

impl RawLog {
    pub(super) fn check(&self, at: At<'_>) -> Result<LogConfig, ConfigError> {
        let format = match self.format.as_ref() {
            None => LogFormat::default(),
            Some(f) => f
                .get_ref()
                .parse()
                .map_err(|message| at(Some(f.span()), message))?,
        };
        Ok(LogConfig { format })
    }
}

#[cfg(test)]
mod tests {
    use super::{LogConfig, LogFormat};
    use crate::config::Config;
    use std::path::Path;

    fn parse(log: &str) -> Result<LogConfig, String> {
        let text = format!("[accounts.acme]\nname = \"Acme\"\n[log]\n{log}\n");
        Config::parse(&text, Path::new("/etc/baton/baton.toml"), |_| None)
            .map(|c| c.log)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn text_by_default_json_when_asked_and_nothing_else() {
        assert_eq!(parse("").unwrap().format, LogFormat::Text);
        assert_eq!(parse("format = \"text\"").unwrap().format, LogFormat::Text);
        assert_eq!(parse("format = \"json\"").unwrap().format, LogFormat::Json);
        let e = parse("format = \"yaml\"").unwrap_err();
        assert!(e.starts_with("/etc/baton/baton.toml:4:10:"), "{e}");
        assert!(e.contains("'yaml'"), "{e}");
        assert!(
            parse("level = \"debug\"").is_err(),
            "unknown keys are refused"
        );
    }
}
