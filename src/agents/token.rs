//! Agent tokens: 256 random bits, shown once; only their SHA-256 is ever kept or compared.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A new agent token from the operating system's generator, e.g. `bt_Zm9v…`.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!(
        "bt_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// What is stored and looked up instead of the token. Tokens carry 256 random bits, so a fast
/// hash is enough to make a stolen store useless for signing in.
pub fn sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed_stably() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with("bt_") && a.len() == 3 + 43);
        assert_eq!(
            sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
