//! Decodes a generic inbound message: a pure function of the body.

use crate::domain::{AccountId, Channel, CustomerId, EventId};
use crate::engine::{Inbound, OutsideReply};
use serde::Deserialize;

/// Limits that keep ids usable as store keys and texts sendable on every platform.
const MAX_ID: usize = 256;
const MAX_TEXT_CHARS: usize = 10_000;
/// A longer name is cut, not refused.
const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    Malformed(String),
    #[error("missing x-baton-signature header")]
    MissingSignature,
    #[error("signature does not match the body")]
    BadSignature,
}

#[derive(Deserialize)]
struct Body {
    id: String,
    account: String,
    customer: CustomerBody,
    #[serde(default)]
    text: String,
    #[serde(default)]
    payload: Option<String>,
    #[serde(default)]
    from: WrittenBy,
}

/// Who wrote the message: the customer (the default), or someone of the brand answering in the
/// platform's own app, outside Baton.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum WrittenBy {
    #[default]
    Customer,
    Brand,
}

/// What a request to the webhook carries.
#[derive(Debug)]
pub enum Incoming {
    /// The customer wrote.
    Customer(Inbound),
    /// Someone of the brand answered the customer outside Baton.
    Brand(OutsideReply),
}

impl Incoming {
    pub fn account(&self) -> &AccountId {
        match self {
            Incoming::Customer(dm) => &dm.account,
            Incoming::Brand(reply) => &reply.account,
        }
    }
}

#[derive(Deserialize)]
struct CustomerBody {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

fn check_id(field: &str, v: &str) -> Result<(), WebhookError> {
    if v.is_empty() || v.len() > MAX_ID || v.contains('\0') {
        return Err(WebhookError::Malformed(format!(
            "{field} must be 1-{MAX_ID} bytes without NUL"
        )));
    }
    Ok(())
}

/// Whether `text` shows nothing: only spaces, line breaks and invisible characters (zero-width
/// spaces, joiners, bidi marks and the like), which a customer cannot see either.
fn blank(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || crate::rules::profile_name::hidden(c).is_some())
}

/// A customer's name as it is shown: trimmed, at most `MAX_NAME_CHARS`. Most names already
/// are, and keep their allocation.
fn shown_name(name: String) -> String {
    let trimmed = name.trim();
    if trimmed.len() == name.len() && name.len() <= MAX_NAME_CHARS {
        return name;
    }
    trimmed.chars().take(MAX_NAME_CHARS).collect()
}

/// Parses and checks a body; nothing about the daemon's state is consulted here.
pub fn parse(body: &[u8]) -> Result<Incoming, WebhookError> {
    let b: Body = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(format!("invalid message: {e}")))?;
    check_id("id", &b.id)?;
    check_id("account", &b.account)?;
    check_id("customer.id", &b.customer.id)?;
    // A char is at least a byte: only a text longer in bytes needs its chars counted.
    if b.text.len() > MAX_TEXT_CHARS && b.text.chars().count() > MAX_TEXT_CHARS {
        return Err(WebhookError::Malformed(format!(
            "text is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    let payload = b.payload.filter(|p| !p.is_empty());
    if b.from == WrittenBy::Brand {
        if payload.is_some() {
            return Err(WebhookError::Malformed(
                "a payload is a customer's quick-reply choice; a message from the brand has none"
                    .into(),
            ));
        }
        if blank(&b.text) {
            return Err(WebhookError::Malformed(
                "a message from the brand needs a text".into(),
            ));
        }
        return Ok(Incoming::Brand(OutsideReply {
            event: EventId(b.id),
            account: AccountId(b.account),
            channel: Channel::Webhook,
            customer: CustomerId(b.customer.id),
            text: b.text,
            attachments: Vec::new(),
        }));
    }
    if blank(&b.text) && payload.is_none() {
        return Err(WebhookError::Malformed(
            "a message needs a text or a payload".into(),
        ));
    }
    if let Some(c) = b
        .customer
        .name
        .as_deref()
        .and_then(|n| n.chars().find(|c| c.is_control()))
    {
        // A name is said back to the customer and shown to agents: a NUL or an escape in it
        // would be echoed into both.
        return Err(WebhookError::Malformed(format!(
            "customer.name holds a control character (U+{:04X})",
            u32::from(c)
        )));
    }
    let name = b.customer.name.map(shown_name).filter(|n| !blank(n));
    Ok(Incoming::Customer(Inbound {
        event: EventId(b.id),
        account: AccountId(b.account),
        channel: Channel::Webhook,
        customer: CustomerId(b.customer.id),
        name,
        text: b.text,
        payload,
        attachments: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The customer's message a body is, or the test fails.
    fn customer(body: &[u8]) -> Inbound {
        match parse(body).unwrap() {
            Incoming::Customer(dm) => dm,
            other => panic!("not a customer's message: {other:?}"),
        }
    }

    #[test]
    fn good_and_bad_bodies() {
        let ok = customer(
            br#"{"id":"e1","account":"acme","customer":{"id":"u1","name":" Jo "},"text":"hi"}"#,
        );
        assert_eq!(
            (ok.event.0.as_str(), ok.name.as_deref(), ok.text.as_str()),
            ("e1", Some("Jo"), "hi")
        );
        let name = |n: &str| {
            let body = serde_json::json!({"id": "e", "account": "a", "customer": {"id": "u", "name": n}, "text": "t"});
            customer(body.to_string().as_bytes()).name
        };
        assert_eq!(name("Jo").as_deref(), Some("Jo"));
        assert_eq!(name(" \u{200B} "), None);
        let long = "é".repeat(150);
        assert_eq!(
            name(&format!("  {long}")).map(|n| n.chars().count()),
            Some(100)
        );
        assert_eq!(name(&"x".repeat(100)).map(|n| n.len()), Some(100));
        let exact = format!("{}é", "x".repeat(99));
        assert_eq!(name(&exact).as_deref(), Some(exact.as_str()));
        // Exactly the limit in chars, over it in bytes: kept.
        let wide = "é".repeat(MAX_TEXT_CHARS);
        let body =
            serde_json::json!({"id": "e", "account": "a", "customer": {"id": "u"}, "text": wide});
        assert_eq!(customer(body.to_string().as_bytes()).text, wide);
        let payload_only = customer(
            br#"{"id":"e2","account":"acme","customer":{"id":"u1"},"payload":"escalate"}"#,
        );
        assert_eq!(payload_only.payload.as_deref(), Some("escalate"));
        let long = format!(
            r#"{{"id":"e","account":"a","customer":{{"id":"u"}},"text":"{}"}}"#,
            "x".repeat(10_001)
        );
        let cases: Vec<(&[u8], &str)> = vec![
            (b"{", "invalid message"),
            (b"[]", "invalid message"),
            (
                br#"{"account":"a","customer":{"id":"u"},"text":"t"}"#,
                "missing field `id`",
            ),
            (
                br#"{"id":"","account":"a","customer":{"id":"u"},"text":"t"}"#,
                "id must be",
            ),
            (
                br#"{"id":"e","account":"a","customer":{"id":"u\u0000"},"text":"t"}"#,
                "customer.id must be",
            ),
            (
                br#"{"id":"e","account":"a","customer":{"id":"u"},"text":"  "}"#,
                "needs a text or a payload",
            ),
            (
                "{\"id\":\"e\",\"account\":\"a\",\"customer\":{\"id\":\"u\"},\"text\":\"\u{200B}\u{2060} \u{FEFF}\u{200E}\"}".as_bytes(),
                "needs a text or a payload",
            ),
            (
                br#"{"id":"e","account":"a","customer":{"id":"u","name":"Jo\u0000"},"text":"t"}"#,
                "customer.name holds a control character (U+0000)",
            ),
            (
                br#"{"id":"e","account":"a","customer":{"id":"u","name":"\u001b[31mJo"},"text":"t"}"#,
                "customer.name holds a control character (U+001B)",
            ),
            (
                br#"{"id":"e","account":"a","customer":{"id":"u"},"text":5}"#,
                "invalid type",
            ),
            (long.as_bytes(), "longer than 10000"),
            (
                br#"{"id":"e","account":"a","customer":{"id":"u"},"text":"t","from":"bot"}"#,
                "unknown variant `bot`, expected `customer` or `brand`",
            ),
            (
                br#"{"id":"e","account":"a","customer":{"id":"u"},"text":" ","from":"brand"}"#,
                "a message from the brand needs a text",
            ),
            (
                br#"{"id":"e","account":"a","customer":{"id":"u"},"text":"t","payload":"p","from":"brand"}"#,
                "a message from the brand has none",
            ),
        ];
        for (body, want) in cases {
            let err = parse(body).unwrap_err().to_string();
            assert!(
                err.contains(want),
                "{}: {err}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn a_message_from_the_brand_is_an_answer_from_outside() {
        let body = br#"{"id":"e9","account":"acme","customer":{"id":"u1"},"text":"Sam here","from":"brand"}"#;
        match parse(body).unwrap() {
            Incoming::Brand(reply) => assert_eq!(
                (
                    reply.event.0.as_str(),
                    reply.account.as_str(),
                    reply.customer.0.as_str(),
                    reply.text.as_str(),
                    reply.channel
                ),
                ("e9", "acme", "u1", "Sam here", Channel::Webhook)
            ),
            other => panic!("{other:?}"),
        }
        let explicit =
            br#"{"id":"e1","account":"acme","customer":{"id":"u1"},"text":"hi","from":"customer"}"#;
        assert_eq!(customer(explicit).text, "hi");
    }
}
