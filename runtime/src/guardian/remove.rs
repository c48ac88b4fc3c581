//! Removing an armed path: the file, link or tree, never following a link.

use std::io;
use std::path::Path;

/// Removes the file, link or tree at `path`, never following a link (std's `remove_dir_all`
/// removes a link inside the tree, not what it points to). Gone already is fine. Read-only
/// entries are made writable once if they are in the way.
pub(crate) fn remove(path: &Path) -> io::Result<()> {
    match remove_once(path) {
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            make_writable(path);
            remove_once(path)
        }
        result => result,
    }
}

fn remove_once(path: &Path) -> io::Result<()> {
    let removed = match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path).or_else(|error| {
            // A link to a directory on Windows is removed as a directory.
            std::fs::remove_dir(path).map_err(|_| error)
        }),
        Err(error) => Err(error),
    };
    match removed {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        result => result,
    }
}

/// Clears the read-only flag on `path` and, if it is a directory (not a link), on everything
/// in it.
fn make_writable(path: &Path) {
    let Ok(metadata) = std::fs::symlink_metadata(path) else {
        return;
    };
    if metadata.file_type().is_symlink() {
        return;
    }
    let mut permissions = metadata.permissions();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Writable (and, for a directory, searchable) by the owner only.
        let owner = if metadata.is_dir() { 0o700 } else { 0o200 };
        permissions.set_mode(permissions.mode() | owner);
    }
    #[cfg(not(unix))]
    #[allow(clippy::permissions_set_readonly_false)] // Windows: the read-only attribute only
    permissions.set_readonly(false);
    let _ = std::fs::set_permissions(path, permissions);
    if metadata.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            make_writable(&entry.path());
        }
    }
}
