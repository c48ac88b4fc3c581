//! Children watched through pidfds, which name the process itself and not its number.

use std::io;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::mem::MaybeUninit;
use std::os::fd::RawFd;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::os::unix::ffi::OsStrExt as _;
use std::process::Child;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::ptr;

/// Whether the guardian stops the children (here it does; on Windows a job object does).
pub(crate) const GUARDIAN_KILLS: bool = true;

/// A child process watched with a pidfd, which names the process itself and not its number:
/// once the child is reaped, signals through it fail instead of reaching a process that got
/// the number later.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) struct Process {
    pidfd: OwnedFd,
    pid: libc::pid_t,
    /// Whether it led its own process group when it was armed: the group goes with it.
    group: bool,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
impl Process {
    /// The process a pidfd received from the program names.
    pub(crate) fn adopt(pidfd: OwnedFd, pid: i32, group: bool) -> Process {
        Process { pidfd, pid, group }
    }

    pub(crate) fn pid(&self) -> i32 {
        self.pid
    }

    pub(crate) fn leads_group(&self) -> bool {
        self.group
    }

    /// `SIGTERM`, to the group too if it leads one.
    pub(crate) fn stop(&self) {
        self.signal(libc::SIGTERM);
    }

    /// `SIGKILL`, to the group too if it leads one.
    pub(crate) fn kill(&self) {
        self.signal(libc::SIGKILL);
    }

    /// Sends `signal` through the pidfd, then to the group. Once the child has been reaped the
    /// first send fails, and the group is left alone: its number may be another's by then.
    /// Until then (running, or a zombie) the number is taken, so the group is this one.
    fn signal(&self, signal: i32) {
        // SAFETY: pidfd_send_signal takes an open pidfd, a signal number, a null siginfo
        // (meaning "as kill would") and no flags.
        let sent = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.pidfd.as_raw_fd(),
                signal,
                ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if sent == 0 && self.group {
            // SAFETY: kill with a negative number signals that process group; no memory.
            unsafe { libc::kill(-self.pid, signal) };
        }
    }

    /// Whether it has ended (a zombie counts), and so has every other member of its group.
    pub(crate) fn has_exited(&self) -> bool {
        let mut ready = libc::pollfd {
            fd: self.pidfd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for an open pidfd, which polls readable once it has ended.
        let polled = unsafe { libc::poll(ptr::addr_of_mut!(ready), 1, 0) };
        polled == 1 && !(self.group && group_has_live_members(self.pid))
    }

    /// The pidfd, to pass to the guardian.
    pub(super) fn pidfd(&self) -> RawFd {
        self.pidfd.as_raw_fd()
    }
}

/// Whether a process other than a zombie is in group `group`, from `/proc` (when it cannot be
/// read: yes, so that the caller waits out its grace period).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn group_has_live_members(group: libc::pid_t) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    let group = group.to_string();
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        if !name.as_bytes().iter().all(u8::is_ascii_digit) {
            return false;
        }
        let Ok(stat) = std::fs::read(entry.path().join("stat")) else {
            return false;
        };
        // "pid (comm) state ppid pgrp ...": the command may hold spaces and parentheses.
        let Some(end) = stat.iter().rposition(|byte| *byte == b')') else {
            return false;
        };
        let mut fields = stat[end + 1..]
            .split(u8::is_ascii_whitespace)
            .filter(|field| !field.is_empty());
        let state = fields.next().unwrap_or_default();
        let pgrp = fields.nth(1).unwrap_or_default();
        pgrp == group.as_bytes() && state != b"Z" && state != b"X"
    })
}

/// The child, watched, or `None` if it has already ended (or been reaped).
///
/// Its pidfd is opened first, then checked to be this program's child not yet reaped: if it
/// was reaped before, the number may already name another process, which is not our child.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn watch(child: &Child) -> io::Result<Option<Process>> {
    let pid = libc::pid_t::try_from(child.id()).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: pidfd_open takes a process id and no flags; it returns a new descriptor
    // (close-on-exec) or -1.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if pidfd < 0 {
        let error = io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::ESRCH) => Ok(None),
            Some(libc::ENOSYS) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "kill_on_exit needs pidfds (Linux 5.3 or later)",
            )),
            _ => Err(error),
        };
    }
    // SAFETY: pidfd_open succeeded: the descriptor is open and ours alone.
    let pidfd = unsafe { OwnedFd::from_raw_fd(RawFd::try_from(pidfd).unwrap_or(-1)) };
    let mut info = MaybeUninit::<libc::siginfo_t>::zeroed();
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    // SAFETY: waitid fills `info` (zeroed, so si_pid reads 0 if nothing has ended); WNOWAIT
    // leaves an ended child to be reaped by its owner. P_PIDFD needs Linux 5.4.
    let mut waited = unsafe {
        libc::waitid(
            libc::P_PIDFD,
            pidfd.as_raw_fd().try_into().unwrap_or(0),
            info.as_mut_ptr(),
            flags,
        )
    };
    if waited != 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        // Linux 5.3: by number, checked again after the pidfd was opened.
        // SAFETY: as above.
        waited = unsafe { libc::waitid(libc::P_PID, child.id(), info.as_mut_ptr(), flags) };
    }
    if waited != 0 {
        let error = io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::ECHILD) => Ok(None),
            _ => Err(error),
        };
    }
    // SAFETY: zeroed, then written by waitid; si_pid is the field waitid sets.
    if unsafe { info.assume_init().si_pid() } != 0 {
        return Ok(None);
    }
    // SAFETY: getpgid takes a process id; the child is ours and not reaped, so it is this one.
    let group = unsafe { libc::getpgid(pid) } == pid;
    Ok(Some(Process { pidfd, pid, group }))
}

/// No pidfds here: a child cannot be watched without the risk of signalling another process
/// that got its number, so `kill_on_exit` says so.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) use crate::guardian::sys::Unwatchable as Process;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[allow(clippy::unused_self)]
impl Process {
    pub(super) fn pidfd(&self) -> RawFd {
        match *self {}
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn watch(_child: &Child) -> io::Result<Option<Process>> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "kill_on_exit needs pidfds, which only Linux has",
    ))
}
