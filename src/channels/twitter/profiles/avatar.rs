//! An avatar's bytes, from the `http(s)://` URL a profile names or from a local file path,
//! capped at the size the platform's media upload takes for an image.

use std::path::Path;

/// The platform takes images up to 5 MB.
pub const MAX_AVATAR_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AvatarError {
    #[error("avatar {0}: no source given")]
    Empty(String),
    #[error("avatar {from}: {why}")]
    Unreadable { from: String, why: String },
    #[error("avatar {from} is over {MAX_AVATAR_BYTES} bytes")]
    TooLarge { from: String },
}

/// Reads `source`: fetched when it is an `http://`/`https://` URL, else read as a file path.
pub async fn load(http: &reqwest::Client, source: &str) -> Result<Vec<u8>, AvatarError> {
    let source = source.trim();
    if source.is_empty() {
        return Err(AvatarError::Empty(source.into()));
    }
    if source.starts_with("https://") || source.starts_with("http://") {
        fetch(http, source).await
    } else {
        read(Path::new(source.strip_prefix("file://").unwrap_or(source))).await
    }
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, AvatarError> {
    let unreadable = |why: String| AvatarError::Unreadable {
        from: url.into(),
        why,
    };
    let mut res = http
        .get(url)
        .send()
        .await
        .map_err(|e| unreadable(e.without_url().to_string()))?;
    if !res.status().is_success() {
        return Err(unreadable(format!("answered {}", res.status())));
    }
    let too_large = || AvatarError::TooLarge { from: url.into() };
    if res
        .content_length()
        .is_some_and(|n| n > MAX_AVATAR_BYTES as u64)
    {
        return Err(too_large());
    }
    // Read by chunks so a server that lies about (or omits) its length cannot make us hold more.
    let mut bytes = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| unreadable(e.without_url().to_string()))?
    {
        if bytes.len() + chunk.len() > MAX_AVATAR_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    non_empty(url, bytes)
}

async fn read(path: &Path) -> Result<Vec<u8>, AvatarError> {
    let from = path.display().to_string();
    let unreadable = |e: std::io::Error| AvatarError::Unreadable {
        from: from.clone(),
        why: e.to_string(),
    };
    let meta = tokio::fs::metadata(path).await.map_err(unreadable)?;
    if meta.len() > MAX_AVATAR_BYTES as u64 {
        return Err(AvatarError::TooLarge { from });
    }
    let bytes = tokio::fs::read(path).await.map_err(unreadable)?;
    non_empty(&from, bytes)
}

fn non_empty(from: &str, bytes: Vec<u8>) -> Result<Vec<u8>, AvatarError> {
    if bytes.is_empty() {
        return Err(AvatarError::Unreadable {
            from: from.into(),
            why: "empty".into(),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_read_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("a.png");
        std::fs::write(&small, b"\x89PNG").unwrap();
        let big = dir.path().join("big.png");
        std::fs::write(&big, vec![0u8; MAX_AVATAR_BYTES + 1]).unwrap();
        let empty = dir.path().join("empty.png");
        std::fs::write(&empty, b"").unwrap();
        let http = reqwest::Client::new();
        let small_url = format!("file://{}", small.display());
        let cases: Vec<(String, Result<usize, &str>)> = vec![
            (small.display().to_string(), Ok(4)),
            (small_url, Ok(4)),
            (big.display().to_string(), Err("over")),
            (empty.display().to_string(), Err("empty")),
            (dir.path().join("none").display().to_string(), Err("avatar")),
            ("  ".into(), Err("no source")),
        ];
        for (source, want) in cases {
            let got = load(&http, &source).await;
            match (got, want) {
                (Ok(bytes), Ok(n)) => assert_eq!(bytes.len(), n, "{source}"),
                (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{source}: {e}"),
                (got, want) => panic!("{source}: {got:?}, wanted {want:?}"),
            }
        }
    }
}
