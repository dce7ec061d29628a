//! Files and folders only the service account may read: the data directory, the SQLite
//! database and the mail folder, whose `.eml` files hold live sign-in links. Modes are set
//! outright after creating, so a permissive umask changes nothing.

use std::io;
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};

/// Creates `dir` (and any missing parents) as owner-only, and makes it owner-only if it
/// already exists: use it only for folders that are the service's own.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir)?;
    #[cfg(unix)]
    if std::fs::metadata(dir)?.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %dir.display(), "others could open this folder; it is now owner-only");
    }
    match set_mode(dir, 0o700) {
        // A folder someone else owns and set up for us: theirs to secure.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            tracing::warn!(path = %dir.display(), "cannot make this folder owner-only: not its owner");
            Ok(())
        }
        other => other,
    }
}

/// Creates the folder that will hold `file` when it is missing, owner-only; an existing folder
/// (perhaps shared, like `/var/lib`) is left as it is.
pub fn private_parent(file: &Path) -> io::Result<()> {
    match file.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) if !dir.exists() => private_dir(dir),
        _ => Ok(()),
    }
}

/// Makes sure `file` exists and is owner-only (0600), creating it empty when missing. An
/// existing file that others could read is tightened, with a warning.
pub fn private_file(file: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let opened = options.open(file)?;
    tighten(&opened, file)
}

/// Tightens `file` to 0600 if it exists (a SQLite journal from before, say).
pub fn tighten_if_present(file: &Path) -> io::Result<()> {
    match std::fs::File::open(file) {
        Ok(opened) => tighten(&opened, file),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to a new owner-only file at `path` (replacing any file there).
pub async fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    #[cfg(unix)]
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .await?;
    file.write_all(bytes).await?;
    file.flush().await
}

#[cfg(unix)]
fn tighten(opened: &std::fs::File, file: &Path) -> io::Result<()> {
    let mode = opened.metadata()?.permissions().mode() & 0o777;
    if mode != 0o600 {
        if mode & 0o077 != 0 {
            tracing::warn!(path = %file.display(), mode = format!("{mode:o}"), "others could read this file; it is now owner-only");
        }
        opened.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_: &std::fs::File, _: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}
