//! `baton export --since 24h [--account A] [--out FILE]`: every message of the conversations
//! active since then, as JSON lines, streamed from the running daemon (`GET /v1/export`) to
//! FILE or stdout as it arrives. A FILE is written beside itself first and takes its name only
//! once the whole export came: a cut-off transfer never leaves a short file that looks whole.

use std::io::Write;
use std::path::{Path, PathBuf};

/// What `baton export` was asked for.
pub struct Export {
    pub since: String,
    pub account: Option<String>,
    pub out: Option<PathBuf>,
}

/// Runs the export; the summary for a FILE (stdout carries only the lines, the summary of a
/// stdout export goes to stderr).
pub async fn run(base: &str, token: &str, e: Export) -> Result<String, String> {
    let client = crate::admin_client::AdminClient::new(base, token).for_account(e.account);
    let mut res = client
        .open("/v1/export", &[("since", e.since.as_str())])
        .await
        .map_err(|err| err.to_string())?;
    let Some(to) = e.out else {
        let mut stdout = std::io::stdout().lock();
        let lines = copy(&mut res, &mut stdout).await?;
        eprintln!("exported {lines} messages");
        return Ok(String::new());
    };
    let temp = temp_beside(&to)?;
    let io = |path: &Path, err: std::io::Error| format!("{}: {err}", path.display());
    let result = async {
        let mut file = std::fs::File::create(&temp).map_err(|err| io(&temp, err))?;
        let lines = copy(&mut res, &mut file).await?;
        file.sync_all().map_err(|err| io(&temp, err))?;
        std::fs::rename(&temp, &to).map_err(|err| io(&to, err))?;
        Ok(format!("exported {lines} messages to {}", to.display()))
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Copies the body as it comes; how many lines it held.
async fn copy(res: &mut reqwest::Response, out: &mut impl Write) -> Result<usize, String> {
    let mut lines = 0;
    while let Some(piece) = res
        .chunk()
        .await
        .map_err(|err| format!("the export was cut off: {err}"))?
    {
        lines += piece.iter().filter(|&&b| b == b'\n').count();
        out.write_all(&piece)
            .map_err(|err| format!("cannot write the export: {err}"))?;
    }
    out.flush()
        .map_err(|err| format!("cannot write the export: {err}"))?;
    Ok(lines)
}

fn temp_beside(to: &Path) -> Result<PathBuf, String> {
    let name = to
        .file_name()
        .ok_or_else(|| format!("{}: --out needs a file name", to.display()))?;
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(format!(".partial-{}", std::process::id()));
    Ok(to.with_file_name(temp))
}
