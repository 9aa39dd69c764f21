//! Unit tests of the metrics: every family registered once, samples moved by their methods, a
//! disabled handle counting nothing, and the Grafana dashboard naming only registered families.

use super::*;
use std::collections::BTreeSet;

/// Every sample name the exposition can carry: each family's name, with the suffixes its
/// type gives samples.
fn sample_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let mut parts = rest.split(' ');
        let (Some(name), Some(kind)) = (parts.next(), parts.next()) else {
            continue;
        };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total", "_created"],
            "histogram" => &["_bucket", "_sum", "_count", "_created"],
            _ => &[""],
        };
        for s in suffixes {
            names.insert(format!("{name}{s}"));
        }
    }
    names
}

/// The value of the one sample written exactly `series` (name and labels as encoded).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let (name, v) = l.rsplit_once(' ')?;
        (name == series).then(|| v.parse().ok())?
    })
}

#[test]
fn the_dashboard_uses_only_registered_families() {
    let m = Metrics::enabled();
    // Per-account families have samples only once an account is counted.
    m.census(&Census {
        queues: vec![QueueCensus {
            account: "acme".into(),
            length: 1,
            oldest_wait: Duration::from_secs(1),
        }],
        ..Census::default()
    });
    let text = m.encode(0).unwrap_or_default();
    let known = sample_names(&text);
    let dashboard = include_str!("../../docs/grafana-dashboard.json");
    let json: serde_json::Value = match serde_json::from_str(dashboard) {
        Ok(j) => j,
        Err(e) => panic!("the dashboard is not JSON: {e}"),
    };
    let mut used = BTreeSet::new();
    let panels = json["panels"].as_array().cloned().unwrap_or_default();
    assert!(panels.len() >= 8, "the dashboard lost its panels");
    for panel in &panels {
        for target in panel["targets"].as_array().cloned().unwrap_or_default() {
            let expr = target["expr"].as_str().unwrap_or_default();
            let mut rest = expr;
            while let Some(at) = rest.find("baton_") {
                let tail = &rest[at..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                used.insert(tail[..end].to_owned());
                rest = &tail[end..];
            }
        }
    }
    assert!(
        used.len() >= 8,
        "too few metrics on the dashboard: {used:?}"
    );
    let unknown: Vec<&String> = used.iter().filter(|n| !known.contains(*n)).collect();
    assert!(unknown.is_empty(), "not registered: {unknown:?}");
}

#[test]
fn families_are_named_with_their_units_and_counters_move() {
    let m = Metrics::enabled();
    m.dm(ChannelLabel::Webhook, DmOutcome::Accepted);
    m.dm(ChannelLabel::Webhook, DmOutcome::Accepted);
    m.dm_refused(ChannelLabel::Twitter, RefusalReason::BadSignature);
    m.acked(ChannelLabel::Webhook, Duration::from_millis(3));
    m.outbox_depth(ChannelLabel::Webhook, 4);
    m.outbox_oldest(ChannelLabel::Webhook, Some(1_000));
    let text = m.encode(3_500).unwrap_or_default();
    let accepted = r#"baton_dms_total{channel="webhook",outcome="accepted",reason="none"}"#;
    assert_eq!(value(&text, accepted), Some(2.0));
    let refused = r#"baton_dms_total{channel="twitter",outcome="refused",reason="bad_signature"}"#;
    assert_eq!(value(&text, refused), Some(1.0));
    let acks = r#"baton_webhook_ack_seconds_count{channel="webhook"}"#;
    assert_eq!(value(&text, acks), Some(1.0));
    let depth = r#"baton_outbox_depth{channel="webhook"}"#;
    assert_eq!(value(&text, depth), Some(4.0));
    let age = r#"baton_outbox_oldest_undelivered_seconds{channel="webhook"}"#;
    assert_eq!(value(&text, age), Some(2.5));
    let reload = r#"baton_reloads_total{result="failed"}"#;
    assert_eq!(value(&text, reload), Some(0.0));
    m.reload(ReloadResult::Failed);
    let text = m.encode(0).unwrap_or_default();
    assert_eq!(value(&text, reload), Some(1.0));
    for name in sample_names(&text) {
        assert!(name.starts_with("baton_"), "{name}");
    }
}

#[test]
fn a_disabled_handle_serves_nothing() {
    let m = Metrics::disabled();
    m.dm(ChannelLabel::Webhook, DmOutcome::Accepted);
    assert!(m.encode(0).is_none());
    assert!(!m.is_enabled());
}
