//! Children watched through pidfds, which name the process itself and not its number.

use std::io;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::mem::MaybeUninit;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::os::fd::{AsFd as _, AsRawFd as _, FromRawFd as _, OwnedFd};
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::os::fd::{BorrowedFd, RawFd};
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::os::unix::ffi::OsStrExt as _;
use std::process::Child;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::ptr;

#[cfg(any(target_os = "linux", target_os = "android"))]
use crate::sys::ascii::{stat_fields, word};

/// Whether the guardian stops the children (here it does; on Windows a job object does).
pub(crate) const GUARDIAN_KILLS: bool = true;

/// `pidfd_send_signal`'s flag for the process group of the pidfd's process (Linux 6.9).
#[cfg(any(target_os = "linux", target_os = "android"))]
const PIDFD_SIGNAL_PROCESS_GROUP: libc::c_uint = 1 << 2;

/// `pidfd_send_signal(pidfd, signal, NULL, flags)`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn send(pidfd: &OwnedFd, signal: i32, flags: libc::c_uint) -> io::Result<()> {
    // SAFETY: pidfd_send_signal takes an open pidfd, a signal number (0: only checks), a null
    // siginfo (meaning "as kill would") and flags.
    let sent = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal,
            ptr::null::<libc::siginfo_t>(),
            flags,
        )
    };
    if sent == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

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

    /// Sends `signal` through the pidfd, then to its group if it leads one. Once the child
    /// has been reaped the first send fails, and the group is still reached while it has
    /// members (see [`Process::signal_group`]).
    fn signal(&self, signal: i32) {
        let _ = send(&self.pidfd, signal, 0);
        if self.group {
            self.signal_group(signal);
        }
    }

    /// Sends `signal` to the group the child led; whether a member (a zombie counts) was
    /// there to receive it.
    ///
    /// A group's id is its leader's number, and the kernel keeps that number, and with it the
    /// pid object the pidfd holds, from being given to another process while any member of
    /// the group lives, even after the leader was reaped. From Linux 6.9 the pidfd signals
    /// the group of that object (`PIDFD_SIGNAL_PROCESS_GROUP`): the members, for as long as
    /// there are any, and never a group made later by a process that got the number (a
    /// group of another pid object). Before 6.9 the group is signalled by number, and only
    /// while the leader is not reaped and so still holds the number.
    fn signal_group(&self, signal: i32) -> bool {
        match send(&self.pidfd, signal, PIDFD_SIGNAL_PROCESS_GROUP) {
            Ok(()) => true,
            Err(error) if error.raw_os_error() == Some(libc::EINVAL) => {
                // SAFETY: kill with a negative number signals that process group; no memory.
                // The leader was not reaped just before, so the number is still its group's.
                send(&self.pidfd, 0, 0).is_ok() && unsafe { libc::kill(-self.pid, signal) } == 0
            }
            Err(_) => false,
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
        // The group is looked up by number only once the signal proved it is still there:
        // while it is, the number is its own.
        polled == 1 && !(self.group && self.signal_group(0) && group_has_live_members(self.pid))
    }

    /// The pidfd, to pass to the guardian.
    #[allow(clippy::unnecessary_wraps)] // the same signature on every platform
    pub(crate) fn descriptor(&self) -> Option<BorrowedFd<'_>> {
        Some(self.pidfd.as_fd())
    }
}

/// Whether a process other than a zombie is in group `group`, from `/proc` (when it cannot be
/// read: yes, so that the caller waits out its grace period).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn group_has_live_members(group: libc::pid_t) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    let group = format!("{group}");
    for entry in entries {
        let Ok(entry) = entry else {
            continue;
        };
        let name = entry.file_name();
        if !name.as_bytes().iter().all(u8::is_ascii_digit) {
            continue;
        }
        let Ok(stat) = std::fs::read(entry.path().join("stat")) else {
            continue;
        };
        let Some(fields) = stat_fields(&stat) else {
            continue;
        };
        let (state, pgrp) = (word(fields, 0), word(fields, 2));
        if pgrp == group.as_bytes() && state != b"Z" && state != b"X" {
            return true;
        }
    }
    false
}

/// The child, watched, or `None` if it has already ended (or been reaped).
///
/// Only `try_wait` knows whether `child` was already waited for: std keeps that to itself, and
/// by then its number may be another child's, which every question asked by number would
/// answer for. Not waited for, the number is still the child's (std reaps it only through
/// `child`, borrowed here), so its pidfd is opened then, and checked to be this program's
/// child not yet reaped (with `SIGCHLD` ignored the kernel reaps without std).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn watch(child: &mut Child) -> io::Result<Option<Process>> {
    match child.try_wait() {
        Ok(Some(_)) => return Ok(None),
        Err(error) if error.raw_os_error() == Some(libc::ECHILD) => return Ok(None),
        Err(error) => return Err(error),
        Ok(None) => {}
    }
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
pub(crate) fn watch(_child: &mut Child) -> io::Result<Option<Process>> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "kill_on_exit needs pidfds, which only Linux has",
    ))
}
