//! Logging: `tracing` to stderr (stdout may be the outbound JSON-lines sink), filtered by
//! `RUST_LOG` (default `info`), as text or as one JSON object per line (`[log] format`,
//! `baton run --log-format`).
//!
//! What the lines carry is a contract an operator's pipeline leans on: every line about a
//! conversation has a `conversation_id` field; message text is only ever at `debug`, so what
//! customers write never reaches a log kept at `info`; tokens and secrets are never logged.

use crate::config::LogFormat;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests, benches) keeps the first subscriber, which is what we want.
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        // Fields at the top level of each object, next to `timestamp`, `level`, `target` and
        // `message`: what log pipelines index without a nested path.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}
