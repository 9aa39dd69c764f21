//! The Account Activity challenge-response check: proof that Baton holds the consumer secret.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Where the platform sends both the challenge (`GET`) and the deliveries (`POST`).
pub const WEBHOOK_PATH: &str = "/v1/channels/twitter/webhook";

/// `sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>`: the `response_token` to answer.
pub fn crc_response(consumer_secret: &str, crc_token: &str) -> String {
    format!(
        "sha256={}",
        STANDARD.encode(hmac_sha256(consumer_secret, crc_token.as_bytes()))
    )
}

pub(super) fn hmac_sha256(key: &str, data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so this cannot fail.
    let mut m =
        <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!());
    m.update(data);
    m.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // RFC 4231 test case 2 (key "Jefe"), its hex digest re-encoded as base64.
        let digest = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let want = format!("sha256={}", STANDARD.encode(hex::decode(digest).unwrap()));
        assert_eq!(crc_response("Jefe", "what do ya want for nothing?"), want);
        assert_ne!(crc_response("Jefe", "other"), want);
        assert!(crc_response("", "").starts_with("sha256="));
    }
}
