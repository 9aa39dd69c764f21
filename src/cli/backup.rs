//! `baton backup --to FILE` (a snapshot from the running daemon, written atomically, verified
//! before it takes FILE's place) and `baton restore --from FILE --data-dir DIR` (into an empty
//! data dir, with the daemon not running on it).

use crate::store::{restore_backup, Backup};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The cache sled gets while a restore writes the store.
const RESTORE_CACHE: u64 = 64 << 20;

/// Downloads the backup into a temp file beside `to`, verifies it whole, then renames it.
/// `account`: through a router, the daemon that owns it is the one backed up (its whole store,
/// every account it holds).
pub async fn backup(
    base: &str,
    token: &str,
    account: Option<&str>,
    to: &Path,
) -> Result<String, String> {
    let client =
        crate::admin_client::AdminClient::new(base, token).for_account(account.map(str::to_owned));
    let mut res = client
        .open("/v1/admin/backup", &[])
        .await
        .map_err(|e| e.to_string())?;
    let temp = temp_beside(to)?;
    let io = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    let result = async {
        let mut file = std::fs::File::create(&temp).map_err(|e| io(&temp, e))?;
        while let Some(piece) = res
            .chunk()
            .await
            .map_err(|e| format!("the backup was cut off while downloading: {e}"))?
        {
            file.write_all(&piece).map_err(|e| io(&temp, e))?;
        }
        file.sync_all().map_err(|e| io(&temp, e))?;
        let bytes = std::fs::read(&temp).map_err(|e| io(&temp, e))?;
        let backup = Backup::parse(&bytes, &temp).map_err(|e| e.to_string())?;
        std::fs::rename(&temp, to).map_err(|e| io(to, e))?;
        if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself survives a power cut only once the directory is synced.
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io(dir, e))?;
        }
        Ok(format!(
            "wrote {}: {} bytes, the store as of journal record {}; {}",
            to.display(),
            bytes.len(),
            backup.after,
            backup.counts
        ))
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn temp_beside(to: &Path) -> Result<PathBuf, String> {
    let name = to
        .file_name()
        .ok_or_else(|| format!("{}: --to needs a file name", to.display()))?;
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(format!(".partial-{}", std::process::id()));
    Ok(to.with_file_name(temp))
}

pub fn restore(from: &Path, dir: &Path) -> Result<String, String> {
    let done = restore_backup(from, dir, RESTORE_CACHE).map_err(|e| e.to_string())?;
    Ok(format!(
        "restored {} into {}: {} bytes, the store as of journal record {}; {}",
        from.display(),
        dir.display(),
        done.bytes,
        done.after,
        done.counts
    ))
}
