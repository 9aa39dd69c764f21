//! `x-twitter-webhooks-signature`: HMAC-SHA256 of the raw body under the consumer secret,
//! base64, compared in constant time.

use super::crc::hmac_sha256;
use super::TwitterError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use subtle::ConstantTimeEq;

pub const SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";

/// The header value the platform puts on `body`: `sha256=<base64>`.
pub fn sign(consumer_secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        STANDARD.encode(hmac_sha256(consumer_secret, body))
    )
}

pub fn verify(
    consumer_secret: &str,
    header: Option<&str>,
    body: &[u8],
) -> Result<(), TwitterError> {
    let header = header.ok_or(TwitterError::MissingSignature)?;
    let given = header
        .trim()
        .strip_prefix("sha256=")
        .and_then(|b64| STANDARD.decode(b64).ok())
        .ok_or(TwitterError::BadSignature)?;
    let want = hmac_sha256(consumer_secret, body);
    // `ct_eq` on slices of different lengths is false without looking at the bytes.
    if bool::from(want.as_slice().ct_eq(given.as_slice())) {
        Ok(())
    } else {
        Err(TwitterError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The secret, the header, the body, and the verdict.
    type Case<'a> = (&'a str, Option<&'a str>, &'a [u8], Result<(), TwitterError>);

    #[test]
    fn signatures() {
        // RFC 4231 test case 2 again, as the platform would send it.
        let data = b"what do ya want for nothing?";
        let known = "sha256=W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=";
        assert_eq!(sign("Jefe", data), known);
        let cases: Vec<Case<'_>> = vec![
            ("Jefe", Some(known), data, Ok(())),
            (
                "Jefe",
                Some(" sha256=W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM= "),
                data,
                Ok(()),
            ),
            (
                "Jefe",
                Some(known),
                b"what do ya want for nothing!",
                Err(TwitterError::BadSignature),
            ),
            ("jefe", Some(known), data, Err(TwitterError::BadSignature)),
            ("Jefe", None, data, Err(TwitterError::MissingSignature)),
            (
                "Jefe",
                Some(&known[7..]),
                data,
                Err(TwitterError::BadSignature),
            ),
            (
                "Jefe",
                Some("sha256=!!"),
                data,
                Err(TwitterError::BadSignature),
            ),
            (
                "Jefe",
                Some("sha256=W9zB"),
                data,
                Err(TwitterError::BadSignature),
            ),
            (
                "Jefe",
                Some("sha256="),
                data,
                Err(TwitterError::BadSignature),
            ),
        ];
        for (secret, header, body, want) in cases {
            assert_eq!(verify(secret, header, body), want, "{header:?}");
        }
    }
}
