//! Optional HMAC-SHA256 over the raw body with a shared secret, compared in constant time.

use super::WebhookError;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-baton-signature";

fn mac(secret: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!())
}

/// The header value a sender puts on `body`: `sha256=<hex>`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

pub fn verify(secret: &str, header: Option<&str>, body: &[u8]) -> Result<(), WebhookError> {
    let header = header.ok_or(WebhookError::MissingSignature)?;
    let hex_sig = header
        .strip_prefix("sha256=")
        .ok_or(WebhookError::BadSignature)?;
    // A SHA-256 MAC is 32 bytes: any other length (or a non-hex digit) cannot match.
    let mut sig = [0u8; 32];
    hex::decode_to_slice(hex_sig, &mut sig).map_err(|_| WebhookError::BadSignature)?;
    let mut m = mac(secret);
    m.update(body);
    m.verify_slice(&sig).map_err(|_| WebhookError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let sig = sign("k", b"body");
        assert!(verify("k", Some(&sig), b"body").is_ok());
        assert_eq!(
            verify("k", Some(&sig), b"bodY"),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify("other", Some(&sig), b"body"),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify("k", None, b"body"),
            Err(WebhookError::MissingSignature)
        );
        assert_eq!(
            verify("k", Some("sha256=zz"), b"body"),
            Err(WebhookError::BadSignature)
        );
        // One byte short, one byte long: the length is part of the match.
        assert_eq!(
            verify("k", Some(&sig[..sig.len() - 2]), b"body"),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify("k", Some(&format!("{sig}00")), b"body"),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify("k", Some(&sig[7..]), b"body"),
            Err(WebhookError::BadSignature)
        );
    }
}
