//! The object an armed path names: its parent directory, opened when `remove_on_exit` is
//! called, and its final name. Both the program and the guardian (which receives the
//! descriptor over the channel) remove the entry through that directory, never by looking the
//! path up again: after a `chroot`, in another mount namespace or once the program has moved
//! elsewhere, the same string would name another tree.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsFd as _, AsRawFd as _, BorrowedFd, FromRawFd as _, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

/// An armed path: its parent directory, held open (one descriptor per armed path, in the
/// program and in the guardian), and its final name.
pub(crate) struct Entry {
    parent: OwnedFd,
    name: CString,
}

/// How the parent is held: a path-only descriptor where there is one (it needs no read
/// permission on the directory, and allows nothing but naming it).
#[cfg(any(target_os = "linux", target_os = "android"))]
const HOLD: libc::c_int = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const HOLD: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;

impl Entry {
    /// Opens the parent of the absolute `path` now (following links above the last
    /// component, as the path did at this moment); the last component is only a name.
    pub(crate) fn open(path: &Path) -> io::Result<Entry> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "on-exit cannot remove `{}`: it has no parent",
                    path.display()
                ),
            ));
        };
        let name = c_string(name.as_bytes())?;
        let parent_name = c_string(parent.as_os_str().as_bytes())?;
        let parent = open_at(libc::AT_FDCWD, &parent_name, HOLD).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!(
                    "on-exit could not open `{}`, the directory that holds `{}`: {error}",
                    parent.display(),
                    path.display()
                ),
            )
        })?;
        Ok(Entry { parent, name })
    }

    /// The entry named `name` in directory `parent`, as the guardian receives it. `None` if
    /// `parent` is not a directory or the name is not one component.
    pub(crate) fn adopt(parent: OwnedFd, name: &[u8]) -> Option<Entry> {
        let mut status = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `parent` is open; `status` has room for one `stat`.
        if unsafe { libc::fstat(parent.as_raw_fd(), status.as_mut_ptr()) } != 0 {
            return None;
        }
        // SAFETY: fstat succeeded and filled it.
        let mode = unsafe { status.assume_init() }.st_mode;
        let one_component =
            !name.is_empty() && !name.contains(&b'/') && name != b"." && name != b"..";
        if mode & libc::S_IFMT != libc::S_IFDIR || !one_component {
            return None;
        }
        Some(Entry {
            parent,
            name: c_string(name).ok()?,
        })
    }

    /// The held parent directory, to pass to the guardian.
    #[allow(clippy::unnecessary_wraps)] // the same signature on every platform
    pub(crate) fn descriptor(&self) -> Option<BorrowedFd<'_>> {
        Some(self.parent.as_fd())
    }

    /// Removes the entry: the file or link, or the directory with everything in it, never
    /// following a link (`remove.rs`).
    pub(crate) fn remove(&self) -> io::Result<()> {
        super::remove::remove_at(self.parent.as_fd(), &self.name)
    }

    /// The device and inode of the entry, if it is a directory (never following a link).
    pub(crate) fn directory_identity(&self) -> Option<(u64, u64)> {
        let mut status = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: the parent is open, the name a C string, `status` has room for one `stat`.
        let found = unsafe {
            libc::fstatat(
                self.parent.as_raw_fd(),
                self.name.as_ptr(),
                status.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        } == 0;
        if !found {
            return None;
        }
        // SAFETY: fstatat succeeded and filled it.
        let status = unsafe { status.assume_init() };
        // As std's `MetadataExt` gives them (their types differ between systems).
        #[allow(clippy::cast_sign_loss, clippy::unnecessary_cast)]
        (status.st_mode & libc::S_IFMT == libc::S_IFDIR)
            .then_some((status.st_dev as u64, status.st_ino as u64))
    }
}

fn c_string(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::ErrorKind::InvalidInput.into())
}

fn open_at(parent: RawFd, name: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: `name` is a C string; `parent` is an open directory or `AT_FDCWD`.
    let fd = unsafe { libc::openat(parent, name.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openat returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
