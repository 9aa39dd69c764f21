//! OAuth 1.0a HMAC-SHA1 request signing in user context (RFC 5849), as the v1.1 API wants it.
//!
//! Pure: the nonce and the timestamp are parameters, so a request's signature can be checked
//! against a worked example byte for byte.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The app's and the account's credentials: everything a signature needs besides the request.
#[derive(Clone)]
pub struct Credentials {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub token: String,
    pub token_secret: String,
}

// Secrets stay out of logs and `Debug` output.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

/// Percent-encodes as RFC 5849 §3.6 says: everything but `A-Z a-z 0-9 - . _ ~`, in upper-case
/// hex (stricter than form encoding: a space is `%20`, never `+`).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// The signature base string: the method, the URL without its query, and every parameter (the
/// query's, a form body's and the `oauth_*` ones) encoded, sorted and joined.
pub fn base_string(method: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    pairs.sort();
    let joined = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(url),
        encode(&joined)
    )
}

/// The HMAC key: both secrets, encoded, joined by `&`.
pub fn signing_key(consumer_secret: &str, token_secret: &str) -> String {
    format!("{}&{}", encode(consumer_secret), encode(token_secret))
}

/// Base64 of HMAC-SHA1(key, base string).
pub fn signature(key: &str, base: &str) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac =
        <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The `Authorization` header value for one request. `url` is without its query; `params` are
/// the query's and a form body's parameters, decoded (a JSON body is not signed).
pub fn authorization(
    creds: &Credentials,
    method: &str,
    url: &str,
    params: &[(&str, &str)],
    nonce: &str,
    timestamp: u64,
) -> String {
    let timestamp = timestamp.to_string();
    let oauth = [
        ("oauth_consumer_key", creds.consumer_key.as_str()),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", timestamp.as_str()),
        ("oauth_token", creds.token.as_str()),
        ("oauth_version", "1.0"),
    ];
    let all: Vec<(&str, &str)> = params.iter().copied().chain(oauth).collect();
    let base = base_string(method, url, &all);
    let sig = signature(
        &signing_key(&creds.consumer_secret, &creds.token_secret),
        &base,
    );
    let fields = oauth
        .iter()
        .copied()
        .chain([("oauth_signature", sig.as_str())])
        .map(|(k, v)| format!("{k}=\"{}\"", encode(v)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("OAuth {fields}")
}

/// A fresh nonce: 32 random alphanumeric characters.
pub fn nonce() -> String {
    (0..32).map(|_| fastrand::alphanumeric()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The worked example of the platform's "Creating a signature" page.
    const STATUS: &str = "Hello Ladies + Gentlemen, a signed OAuth request!";
    const URL: &str = "https://api.twitter.com/1.1/statuses/update.json";
    const NONCE: &str = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
    const TIMESTAMP: u64 = 1318622958;

    fn example() -> Credentials {
        Credentials {
            consumer_key: "xvz1evFS4wEEPTGEFPHBog".into(),
            consumer_secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw".into(),
            token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb".into(),
            token_secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE".into(),
        }
    }

    #[test]
    fn the_documented_example_is_reproduced_byte_for_byte() {
        let c = example();
        let params = [
            ("status", STATUS),
            ("include_entities", "true"),
            ("oauth_consumer_key", c.consumer_key.as_str()),
            ("oauth_nonce", NONCE),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1318622958"),
            ("oauth_token", c.token.as_str()),
            ("oauth_version", "1.0"),
        ];
        let base = base_string("POST", URL, &params);
        assert_eq!(
            base,
            "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&\
             include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26\
             oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26\
             oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26\
             oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26\
             oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen\
             %252C%2520a%2520signed%2520OAuth%2520request%2521"
        );
        let key = signing_key(&c.consumer_secret, &c.token_secret);
        assert_eq!(
            key,
            "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw&LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
        );
        assert_eq!(signature(&key, &base), "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
    }

    #[test]
    fn the_header_carries_the_same_signature_encoded() {
        let header = authorization(
            &example(),
            "post",
            URL,
            &[("include_entities", "true"), ("status", STATUS)],
            NONCE,
            TIMESTAMP,
        );
        assert_eq!(
            header,
            "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", \
             oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", \
             oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", \
             oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", \
             oauth_version=\"1.0\", oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""
        );
    }

    #[test]
    fn encoding_follows_rfc_5849() {
        for (raw, encoded) in [
            ("Ladies + Gentlemen", "Ladies%20%2B%20Gentlemen"),
            ("An encoded string!", "An%20encoded%20string%21"),
            ("Dogs, Cats & Mice", "Dogs%2C%20Cats%20%26%20Mice"),
            ("☃", "%E2%98%83"),
            ("a-b.c_d~e", "a-b.c_d~e"),
        ] {
            assert_eq!(encode(raw), encoded, "{raw}");
        }
    }

    #[test]
    fn nonces_are_fresh() {
        assert_eq!(nonce().len(), 32);
        assert_ne!(nonce(), nonce());
    }

    #[test]
    fn credentials_never_show_in_debug_output() {
        let shown = format!("{:?}", example());
        assert!(
            !shown.contains("kAcSOq") && !shown.contains("Lsww"),
            "{shown}"
        );
    }
}
