//! Unix, for the removals (`guardian/remove.rs`, in the program and in the guardian): a tree removed with a
//! bounded number of open descriptors however deep it is, never following a link and safe
//! against the tree being moved under it; and the account's home directory.
//!
//! std's `remove_dir_all` holds one descriptor per level (it recurses with `openat`, which is
//! what keeps it from following a link swapped in by someone else, CVE-2022-21658): a tree
//! deeper than the descriptor limit is left. This walk does as GNU `rm`'s fts does: it reads a
//! directory's names into memory, keeps the descriptors of only the [`KEEP`] deepest
//! directories above the one it is in, and climbs back through `..`, checking that it reached
//! the directory it came from (its device and inode) before it removes anything there.

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd as _, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::PathBuf;

/// How many directories above the current one keep their descriptor open (more are
/// reopened through `..` when the walk climbs back to them).
const KEEP: usize = 8;

/// Adds to `homes` the home directories of the real and the effective user in the user
/// database (the effective user's looked up only if it is another user; two users may share
/// a home, which is then listed twice).
pub(crate) fn account_homes(homes: &mut Vec<PathBuf>) {
    // SAFETY: getuid and geteuid have no preconditions and cannot fail.
    let (real, effective) = unsafe { (libc::getuid(), libc::geteuid()) };
    if let Some(home) = account_home(real) {
        homes.push(home);
    }
    if effective != real {
        if let Some(home) = account_home(effective) {
            homes.push(home);
        }
    }
}

fn account_home(user: libc::uid_t) -> Option<PathBuf> {
    let mut buffer = vec![0_u8; 1024];
    loop {
        // SAFETY: all-zero is a valid `passwd` (null pointers), which getpwuid_r fills.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: `entry` and `found` are valid for writes; `buffer` is valid for
        // `buffer.len()` bytes and outlives every use of the strings `entry` points into.
        let error = unsafe {
            libc::getpwuid_r(
                user,
                &mut entry,
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &mut found,
            )
        };
        if error == libc::ERANGE && buffer.len() < 1 << 20 {
            buffer = vec![0_u8; buffer.len() * 2];
            continue;
        }
        if error != 0 || found.is_null() || entry.pw_dir.is_null() {
            return None;
        }
        // SAFETY: getpwuid_r succeeded: `pw_dir` is a C string inside `buffer`.
        let home = unsafe { CStr::from_ptr(entry.pw_dir) };
        let home = OsStr::from_bytes(home.to_bytes());
        return (!home.is_empty()).then(|| PathBuf::from(home));
    }
}

/// Removes entry `name` of directory `parent` (an armed path's directory, held since the
/// call: `Entry`): unlinks a file or link, removes a directory with everything in it. The
/// entry itself is never followed, and nothing above it is looked up again.
pub(super) fn remove_at(parent: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    match unlink(parent.as_raw_fd(), name, 0) {
        Err(error) if is_a_directory(&error) => {}
        result => return result,
    }
    Walk::new(parent.try_clone_to_owned()?).run(name.to_owned())
}

/// A directory on the way down: its name in its parent, its identity, the names in it not yet
/// removed, and its descriptor unless that was closed to keep the count bounded.
struct Frame {
    name: CString,
    id: (libc::dev_t, libc::ino_t),
    pending: Vec<CString>,
    fd: Option<OwnedFd>,
    /// Whether its mode was changed to let the walk remove what is in it.
    made_writable: bool,
}

struct Walk {
    /// The directory holding the tree, open for the whole walk.
    top: OwnedFd,
    /// The file system and mount of the tree's own directory: the walk never leaves them (a
    /// directory mounted or bound inside the tree, `/` or a home among them, is another
    /// tree), as `rm --one-file-system` does not.
    mount: Option<(libc::dev_t, Option<u64>)>,
    frames: Vec<Frame>,
    /// The first error; the walk goes on with what it can remove, as `rm` does.
    error: Option<io::Error>,
}

impl Walk {
    fn new(top: OwnedFd) -> Walk {
        Walk {
            top,
            mount: None,
            frames: Vec::new(),
            error: None,
        }
    }

    fn failed(&mut self, error: io::Error) {
        if error.kind() != io::ErrorKind::NotFound && self.error.is_none() {
            self.error = Some(error);
        }
    }

    fn run(mut self, name: CString) -> io::Result<()> {
        let top = self.top.as_raw_fd();
        self.descend(top, name)?;
        while let Some(frame) = self.frames.last_mut() {
            let Some(fd) = frame.fd.as_ref().map(AsRawFd::as_raw_fd) else {
                unreachable!("the current directory is always open");
            };
            if let Some(name) = frame.pending.pop() {
                match unlink(fd, &name, 0) {
                    Err(error) if is_a_directory(&error) => {
                        if let Err(error) = self.descend(fd, name) {
                            self.failed(error);
                        }
                    }
                    Err(error)
                        if error.raw_os_error() == Some(libc::EACCES) && !frame.made_writable =>
                    {
                        // The directory is read-only: ours to change, since it goes. Then
                        // the same name again (it may be a directory: EACCES came first).
                        make_writable_fd(fd);
                        frame.made_writable = true;
                        frame.pending.push(name);
                    }
                    Err(error) => self.failed(error),
                    Ok(()) => {}
                }
                continue;
            }
            // Everything in it is done: climb back and remove it.
            if let Err(error) = self.climb() {
                // The tree moved: nothing above can be reached safely.
                self.error = Some(error);
                break;
            }
        }
        match self.error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Enters directory `name` of the directory `parent`: opens it (never through a link),
    /// reads its names, and makes it the current directory.
    fn descend(&mut self, parent: RawFd, name: CString) -> io::Result<()> {
        let fd = match open(parent, &name, libc::O_NOFOLLOW) {
            Err(error) if error.raw_os_error() == Some(libc::EACCES) => {
                // Not readable or searchable: make it so (never through a link), once.
                make_writable_at(parent, &name)?;
                open(parent, &name, libc::O_NOFOLLOW)?
            }
            Err(error) if matches!(error.raw_os_error(), Some(libc::ENOTDIR | libc::ELOOP)) => {
                // No longer a directory (replaced since): remove what is there now.
                return unlink(parent, &name, 0);
            }
            result => result?,
        };
        let id = identity(fd.as_raw_fd())?;
        let here = (id.0, mount_id(fd.as_raw_fd()));
        match self.mount {
            None => self.mount = Some(here),
            Some(top)
                if top.0 != here.0 || (top.1.is_some() && here.1.is_some() && top.1 != here.1) =>
            {
                return Err(io::Error::other(
                    "a file system mounted inside the tree was left as it is",
                ));
            }
            Some(_) => {}
        }
        let pending = names(&fd)?;
        self.frames.push(Frame {
            name,
            id,
            pending,
            fd: Some(fd),
            made_writable: false,
        });
        // Keep at most KEEP open above the current one: close the shallowest open one.
        let mut open_count = 0;
        for frame in &self.frames {
            if frame.fd.is_some() {
                open_count += 1;
            }
        }
        if open_count > KEEP + 1 {
            for frame in &mut self.frames {
                if frame.fd.is_some() {
                    frame.fd = None;
                    break;
                }
            }
        }
        Ok(())
    }

    /// Leaves the current directory, now empty of what could be removed, and removes it from
    /// its parent, reopening the parent through `..` if its descriptor was closed: the parent
    /// reached must be the one the walk came from, or the tree moved (an error).
    fn climb(&mut self) -> io::Result<()> {
        let Some(frame) = self.frames.pop() else {
            return Ok(());
        };
        let Some(fd) = frame.fd else {
            unreachable!("the current directory is always open");
        };
        let parent_fd = match self.frames.last_mut() {
            None => self.top.as_raw_fd(),
            Some(parent) => {
                if parent.fd.is_none() {
                    let reopened = open(fd.as_raw_fd(), c"..", libc::O_NOFOLLOW)?;
                    if identity(reopened.as_raw_fd())? != parent.id {
                        return Err(io::Error::other(
                            "the tree was moved while it was being removed",
                        ));
                    }
                    parent.fd = Some(reopened);
                }
                parent.fd.as_ref().map_or(-1, AsRawFd::as_raw_fd)
            }
        };
        drop(fd);
        if let Err(error) = unlink(parent_fd, &frame.name, libc::AT_REMOVEDIR) {
            if error.raw_os_error() == Some(libc::EACCES) {
                make_writable_fd(parent_fd);
                if let Err(error) = unlink(parent_fd, &frame.name, libc::AT_REMOVEDIR) {
                    self.failed(error);
                }
            } else {
                self.failed(error);
            }
        }
        Ok(())
    }
}

/// Opens directory `name` of `parent` for reading, close-on-exec, with `flags` added.
fn open(parent: RawFd, name: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC | flags;
    // SAFETY: `name` is a C string; `parent` is an open directory or `AT_FDCWD`.
    let fd = unsafe { libc::openat(parent, name.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openat returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Removes entry `name` of the open directory `parent` (`flags`: `AT_REMOVEDIR` or 0).
fn unlink(parent: RawFd, name: &CStr, flags: libc::c_int) -> io::Result<()> {
    // SAFETY: `parent` is an open directory (the walk holds it) and `name` a C string.
    if unsafe { libc::unlinkat(parent, name.as_ptr(), flags) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// What `unlinkat` without `AT_REMOVEDIR` answers for a directory: `EISDIR` on Linux, `EPERM`
/// as POSIX allows elsewhere.
fn is_a_directory(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EISDIR | libc::EPERM))
}

/// The device and inode of the open `fd`.
fn identity(fd: RawFd) -> io::Result<(libc::dev_t, libc::ino_t)> {
    let mut status = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `fd` is open; `status` is valid for one `stat`.
    if unsafe { libc::fstat(fd, status.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstat succeeded and filled it.
    let status = unsafe { status.assume_init() };
    Ok((status.st_dev, status.st_ino))
}

/// The mount that the open `fd` is on (Linux 5.8: two binds of one file system differ here,
/// not in `st_dev`); `None` where it cannot be asked.
fn mount_id(fd: RawFd) -> Option<u64> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut status = std::mem::MaybeUninit::<libc::statx>::zeroed();
        // SAFETY: `fd` is open, the path is an empty C string with AT_EMPTY_PATH (the file of
        // `fd` itself), and `status` is valid for one `statx`.
        let done = unsafe {
            libc::statx(
                fd,
                c"".as_ptr(),
                libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
                libc::STATX_MNT_ID,
                status.as_mut_ptr(),
            )
        };
        if done != 0 {
            return None;
        }
        // SAFETY: statx succeeded and filled it (it was zeroed before).
        let status = unsafe { status.assume_init() };
        (status.stx_mask & libc::STATX_MNT_ID != 0).then_some(status.stx_mnt_id)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = fd;
        None
    }
}

/// The names in directory `fd` but `.` and `..`, read through a copy of the descriptor (the
/// stream owns and closes its own).
fn names(fd: &OwnedFd) -> io::Result<Vec<CString>> {
    let copy = fd.try_clone()?;
    // SAFETY: `copy` is an open directory descriptor, whose ownership passes to the stream.
    let stream = unsafe { libc::fdopendir(copy.as_raw_fd()) };
    if stream.is_null() {
        return Err(io::Error::last_os_error());
    }
    std::mem::forget(copy);
    let mut names = Vec::new();
    loop {
        // SAFETY: `stream` is open and only this thread uses it. (A read error ends the
        // list like its end: what is left makes the directory's own removal fail.)
        let entry = unsafe { libc::readdir(stream) };
        if entry.is_null() {
            break;
        }
        // SAFETY: readdir returned an entry whose `d_name` is a C string, valid until the
        // next readdir on this stream.
        let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
        if name != c"." && name != c".." {
            names.push(name.to_owned());
        }
    }
    // SAFETY: `stream` is open; closedir closes it and its descriptor.
    unsafe { libc::closedir(stream) };
    Ok(names)
}

/// Adds the owner's read, write and search bits to the open directory `fd`.
fn make_writable_fd(fd: RawFd) {
    let mut status = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `fd` is open; `status` is valid for one `stat`.
    if unsafe { libc::fstat(fd, status.as_mut_ptr()) } == 0 {
        // SAFETY: fstat succeeded and filled it.
        let mode = unsafe { status.assume_init() }.st_mode;
        // SAFETY: `fd` is open; fchmod changes only its mode.
        unsafe { libc::fchmod(fd, (mode & 0o7777) | 0o700) };
    }
}

/// The same for directory `name` of `parent`, which cannot be opened yet; never through a
/// link (`AT_SYMLINK_NOFOLLOW`: a link swapped in since is left as it is).
fn make_writable_at(parent: RawFd, name: &CStr) -> io::Result<()> {
    let mut status = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `parent` is open, `name` a C string, `status` valid for one `stat`.
    if unsafe {
        libc::fstatat(
            parent,
            name.as_ptr(),
            status.as_mut_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    } != 0
    {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstatat succeeded and filled it.
    let mode = unsafe { status.assume_init() }.st_mode;
    if mode & libc::S_IFMT != libc::S_IFDIR {
        return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
    }
    let mode = (mode & 0o7777) | 0o700;
    // SAFETY: as above; with AT_SYMLINK_NOFOLLOW a link is never followed.
    if unsafe { libc::fchmodat(parent, name.as_ptr(), mode, libc::AT_SYMLINK_NOFOLLOW) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
