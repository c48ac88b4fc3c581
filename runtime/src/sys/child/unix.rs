//! Unix: `waitid` with `WNOWAIT`, and the status as a code or a signal.

use std::io;
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Child, ExitStatus};

use crate::sys::{raw_number, Ending};
use crate::Signal;

/// Waits until `child` has ended, without reaping it: until it is reaped (by `Child::wait`),
/// its number stays its own, so a signal passed on meanwhile cannot reach another process.
pub(crate) fn wait_unreaped(child: &Child) -> io::Result<()> {
    let pid = libc::id_t::from(child.id());
    loop {
        // SAFETY: an all-zero siginfo_t is a valid value for waitid to fill.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is valid writable memory for one siginfo_t; P_PID names our child.
        let waited = unsafe {
            libc::waitid(
                libc::P_PID,
                pid,
                std::ptr::addr_of_mut!(info),
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if waited == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// How the process whose status this is ended.
pub(crate) fn ended_by(status: ExitStatus) -> Ending {
    match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Code(code),
        (None, Some(signal)) => Ending::Signal(signal),
        // Stopped or continued: `wait` reports neither.
        (None, None) => Ending::Code(1),
    }
}

/// Sends `signal` to the child `pid`, still unreaped: its number is still its own.
pub(crate) fn pass_on(pid: i32, signal: Signal) {
    if let Some(raw) = raw_number(signal) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(pid, raw) };
    }
}

/// Whether this process leads its session: then a terminal's hang-up reaches it alone (the
/// kernel signals the foreground group only once the session leader is gone).
pub(crate) fn leads_session() -> bool {
    // SAFETY: getsid and getpid have no preconditions.
    unsafe { libc::getsid(0) == libc::getpid() }
}

/// Whether child `pid` is in this process's group, and so got what the terminal sent to it
/// (a child in a group or session of its own did not). Async-signal-safe.
pub(crate) fn shares_our_group(pid: i32) -> bool {
    // SAFETY: getpgid and getpgrp take a number and nothing; `pid` is our child, not reaped
    // while `exec` runs, so the number is still its own.
    unsafe { libc::getpgid(pid) == libc::getpgrp() }
}
