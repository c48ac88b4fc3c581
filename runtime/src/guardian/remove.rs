//! Removing an armed path: what is refused (what `rm` refuses, and the user's home), and the
//! removal itself, which never follows a link.
//!
//! The refusals are checked twice: when the path is armed (`remove_on_exit` returns the
//! error and arms nothing) and again just before it is removed, in the program or in the
//! guardian, since the name may have come to mean something else in between.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use super::sys;

/// The path that `remove_on_exit(path)` arms: absolute (a relative one is resolved against
/// the current directory now), without `.` components, repeated or trailing separators. An
/// `InvalidInput` error for what is refused: the empty path, a path whose last component is
/// `.` or `..`, a filesystem root, the user's home directory.
///
/// A trailing separator is dropped, not followed: `link/` names the link, and removing it
/// removes the link, never what it points to (`rm -r link/` would empty the target).
pub(crate) fn armed_path(path: &Path) -> io::Result<PathBuf> {
    if path.as_os_str().is_empty() {
        return Err(refused(
            path,
            "the empty path names the current directory (an unset variable?)",
        ));
    }
    if ends_in_dots(path.as_os_str()) {
        return Err(refused(path, "its last component is `.` or `..`"));
    }
    if cfg!(windows) && rewritten_by_windows(path.as_os_str()) {
        return Err(refused(
            path,
            "a component ends in a space or a dot, which Windows strips (`C:\\ ` is `C:\\`); \
             name it as it is on disk",
        ));
    }
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    if !absolute.is_absolute() {
        // Windows: `C:name` is relative to drive C's own current directory.
        return Err(refused(
            path,
            "a path relative to a drive's current directory; name it in full",
        ));
    }
    let normal: PathBuf = absolute.components().collect();
    check(&normal).map_err(|why| refused(path, why))?;
    Ok(normal)
}

/// Why the already normalized, absolute `path` must not be removed, if it must not: a
/// filesystem root, or the user's home directory (the same directory, under any name; the
/// last component is never followed, so a link to `/` is only a link).
pub(crate) fn check(path: &Path) -> Result<(), &'static str> {
    if path.file_name().is_none() {
        return Err("it is a filesystem root");
    }
    let Ok(target) = std::fs::symlink_metadata(path) else {
        return Ok(()); // Nothing there (yet): not a root, not a home.
    };
    if !target.is_dir() {
        return Ok(());
    }
    let root: &Path = if cfg!(windows) {
        "\\".as_ref()
    } else {
        "/".as_ref()
    };
    if identity::same(path, &target, root) {
        return Err("it is a filesystem root");
    }
    for home in &homes() {
        if identity::same(path, &target, home) {
            return Err("it is the user's home directory");
        }
    }
    Ok(())
}

/// The directories taken for the user's home: `$HOME` and the account's home directory in
/// the user database, for the real and the effective user (Windows: `%USERPROFILE%` and
/// `%HOME%`).
fn homes() -> Vec<PathBuf> {
    let variables: &[&str] = if cfg!(windows) {
        &["USERPROFILE", "HOME"]
    } else {
        &["HOME"]
    };
    let mut homes = Vec::new();
    for variable in variables {
        match std::env::var_os(variable) {
            Some(home) if !home.is_empty() => homes.push(PathBuf::from(home)),
            _ => {}
        }
    }
    #[cfg(unix)]
    sys::account_homes(&mut homes);
    homes
}

#[cfg(unix)]
mod identity {
    use std::fs::Metadata;
    use std::os::unix::fs::MetadataExt as _;
    use std::path::Path;

    /// Whether `target` (the entry itself, `symlink_metadata`) is the directory `other`
    /// names (following links): the same device and inode.
    pub(super) fn same(_path: &Path, target: &Metadata, other: &Path) -> bool {
        std::fs::metadata(other)
            .is_ok_and(|other| other.dev() == target.dev() && other.ino() == target.ino())
    }
}

#[cfg(not(unix))]
mod identity {
    use std::fs::Metadata;
    use std::path::{Path, PathBuf};

    /// Whether `path` is the directory `other` names (following links). std has no stable file
    /// id on Windows, so the final names are compared (`canonicalize`: the long name of every
    /// component as it is on disk, whatever case or 8.3 short name was typed), ignoring ASCII
    /// case only (the drive letter's): the same directory has the same name on disk, and two
    /// names that differ in another letter's case (`ß` and `ẞ`) may be two directories. A
    /// link (symbolic link or junction) is never the directory: it is removed as a link.
    pub(super) fn same(path: &Path, target: &Metadata, other: &Path) -> bool {
        if target.file_type().is_symlink() {
            return false;
        }
        let key = |path: PathBuf| path.to_string_lossy().to_ascii_lowercase();
        // Where the entry's own final name cannot be had, its parent's and the name as typed.
        let entry =
            std::fs::canonicalize(path).or_else(|error| match (path.parent(), path.file_name()) {
                (Some(parent), Some(name)) => std::fs::canonicalize(parent).map(|p| p.join(name)),
                _ => Err(error),
            });
        match (entry, std::fs::canonicalize(other)) {
            (Ok(entry), Ok(other)) => key(entry) == key(other),
            _ => false,
        }
    }
}

/// Whether the last component of `path`, trailing separators aside, is `.` or `..`.
/// (`Path::components` cannot tell: it drops a trailing `.`.)
fn ends_in_dots(path: &OsStr) -> bool {
    // The separators, dots and drive letters looked for are ASCII, which these bytes keep as
    // they are on every platform.
    let bytes = path.as_encoded_bytes();
    let separator = |byte: u8| byte == b'/' || (cfg!(windows) && byte == b'\\');
    let mut end = bytes.len();
    while end > 0 && separator(bytes[end - 1]) {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && !separator(bytes[start - 1]) {
        start -= 1;
    }
    let last = &bytes[start..end];
    // Windows: `C:.` and `C:..` are a drive's current directory and its parent.
    let last = match last {
        [drive, b':', rest @ ..] if cfg!(windows) && drive.is_ascii_alphabetic() => rest,
        _ => last,
    };
    end > 0 && matches!(last, b"." | b"..")
}

/// Whether a component of `path` (but `.` and `..` themselves) ends in a space or a dot: Win32
/// strips those before it opens a path, so the name checked would not be the one removed
/// (`D:\ ` removes the drive's root, `profile.` the profile).
fn rewritten_by_windows(path: &OsStr) -> bool {
    path.to_string_lossy()
        .split(['/', '\\'])
        .any(|part| !matches!(part, "." | "..") && part.ends_with([' ', '.']))
}

fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("on-exit refuses to remove `{}`: {why}", path.display()),
    )
}

/// Removes the file, link or tree `entry` names (armed as `path`, as [`armed_path`] made it),
/// never following a link: a link inside the tree is removed, not what it points to. Gone
/// already is fine. Refused (`InvalidInput`) if [`check`] refuses it now.
pub(crate) fn remove(entry: &sys::Entry, path: &Path) -> io::Result<()> {
    if let Err(why) = check_entry(entry, path) {
        return Err(refused(path, why));
    }
    let removed = remove_entry(entry);
    match removed {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        result => result,
    }
}

/// [`check`] for what `entry` names. Unix: the entry in its held directory, never the path
/// looked up again (after a `chroot` or in the guardian it would name another tree); it is
/// never a root by name (its last component is a name), but may be one as a directory.
#[cfg(unix)]
fn check_entry(entry: &sys::Entry, _path: &Path) -> Result<(), &'static str> {
    use std::os::unix::fs::MetadataExt as _;

    let Some((device, inode)) = entry.directory_identity() else {
        return Ok(()); // Nothing there, or not a directory: not a root, not a home.
    };
    let same = |other: &Path| {
        std::fs::metadata(other).is_ok_and(|other| other.dev() == device && other.ino() == inode)
    };
    if same(Path::new("/")) {
        return Err("it is a filesystem root");
    }
    for home in &homes() {
        if same(home) {
            return Err("it is the user's home directory");
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_entry(_entry: &sys::Entry, path: &Path) -> Result<(), &'static str> {
    check(path)
}

/// Unix: through the directory held since the call, with a walk that holds a bounded number
/// of descriptors whatever the depth, and checks each directory it climbs back to
/// (`sys::Entry::remove`).
#[cfg(unix)]
fn remove_entry(entry: &sys::Entry) -> io::Result<()> {
    entry.remove()
}

/// Elsewhere: by its path, with std's `remove_dir_all` (which does not follow links or
/// junctions), and read-only entries made writable once if they are in the way.
#[cfg(not(unix))]
fn remove_entry(entry: &sys::Entry) -> io::Result<()> {
    let path = entry.path();
    match remove_once(path) {
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            make_writable(path);
            remove_once(path)
        }
        result => result,
    }
}

#[cfg(not(unix))]
fn remove_once(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path).or_else(|error| {
            // A link to a directory on Windows is removed as a directory.
            std::fs::remove_dir(path).map_err(|_| error)
        }),
        Err(error) => Err(error),
    }
}

/// Clears the read-only attribute on `path` and, if it is a directory (not a link), on
/// everything in it.
#[cfg(not(unix))]
fn make_writable(path: &Path) {
    let Ok(metadata) = std::fs::symlink_metadata(path) else {
        return;
    };
    if metadata.file_type().is_symlink() {
        return;
    }
    let mut permissions = metadata.permissions();
    #[allow(clippy::permissions_set_readonly_false)] // Windows: the read-only attribute only
    permissions.set_readonly(false);
    let _ = std::fs::set_permissions(path, permissions);
    if metadata.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            make_writable(&entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(path: &str) -> Option<io::ErrorKind> {
        armed_path(Path::new(path)).err().map(|error| error.kind())
    }

    #[test]
    #[cfg_attr(miri, ignore)] // the file system
    fn what_rm_refuses_is_refused_without_touching_anything() {
        for path in [
            "", ".", "..", "./", "../", "a/.", "a/..", "a/./", "a/../", "a/.//", "/..", "/.", "/",
            "//", "///",
        ] {
            assert_eq!(kind(path), Some(io::ErrorKind::InvalidInput), "{path:?}");
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)] // the file system
    fn names_windows_would_rewrite_are_seen() {
        use super::rewritten_by_windows as rewritten;
        for path in [
            "D:\\ ",
            "\\ ",
            "/ ",
            "D:\\sub\\..\\ ",
            "C:\\users\\me.",
            "a\\b. \\c",
            "\\\\.\\D:\\ ",
        ] {
            assert!(rewritten(path.as_ref()), "{path:?}");
        }
        for path in [
            "D:\\",
            "C:\\users\\me",
            "a\\.\\b",
            "..\\x",
            "\\\\?\\D:\\x",
            "a.b\\c",
        ] {
            assert!(!rewritten(path.as_ref()), "{path:?}");
        }
    }

    #[test]
    fn names_that_only_look_like_dots_are_fine() {
        for path in ["...", ".hidden", "a/..b", "a/.b/", "/tmp/x/../y"] {
            let armed = armed_path(Path::new(path)).unwrap();
            assert!(armed.is_absolute(), "{path:?}");
        }
    }

    #[test]
    #[cfg(unix)]
    #[cfg_attr(miri, ignore)] // the file system
    fn the_armed_path_is_absolute_without_dots_or_trailing_separators() {
        let armed = armed_path(Path::new("/tmp//a/./b/")).unwrap();
        assert_eq!(armed, Path::new("/tmp/a/b"));
        let relative = armed_path(Path::new("x/")).unwrap();
        assert_eq!(relative, std::env::current_dir().unwrap().join("x"));
    }
}
