//! Unix: `waitid` with `WNOWAIT`, a child's stop followed, `SIGCHLD` at its default action,
//! and the status as a code or a signal.

use std::io;
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Child, ExitStatus};

use crate::sys::{raw_number, Ending};
use crate::Signal;

/// Waits until `child` has ended, without reaping it: until it is reaped (by `Child::wait`),
/// its number stays its own, so a signal passed on meanwhile cannot reach another process.
///
/// A child that stops (`SIGTSTP`, `SIGSTOP`, ...) stops this process by the same signal, as
/// `sudo` does, so that the shell sees its job stopped; once this process is continued, so
/// is the child (`SIGCONT`).
pub(crate) fn wait_unreaped(child: &Child) -> io::Result<()> {
    let pid = libc::id_t::from(child.id());
    loop {
        match wait_id(pid, libc::WEXITED | libc::WSTOPPED | libc::WNOWAIT) {
            Ok(info) if info.si_code == libc::CLD_STOPPED => follow_stop(pid),
            Ok(_) => return Ok(()),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// One `waitid` for the child `pid` with `flags`: the report it filled (all zero when
/// `WNOHANG` found nothing to report).
fn wait_id(pid: libc::id_t, flags: libc::c_int) -> io::Result<libc::siginfo_t> {
    // SAFETY: an all-zero siginfo_t is a valid value for waitid to fill.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is valid writable memory for one siginfo_t; P_PID names our child.
    let waited = unsafe { libc::waitid(libc::P_PID, pid, std::ptr::addr_of_mut!(info), flags) };
    if waited == 0 {
        Ok(info)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The child `pid` was seen stopped: takes that report, and if the child is still stopped
/// (not continued meanwhile, as after a Ctrl-Z that stopped this process with it and a `fg`
/// that continued both), stops this process by the same signal, then continues the child.
fn follow_stop(pid: libc::id_t) {
    // Without WEXITED this never reaps the child: it only takes the report of its stop, if
    // it is still stopped.
    let Ok(info) = wait_id(pid, libc::WSTOPPED | libc::WNOHANG) else {
        return;
    };
    if info.si_code != libc::CLD_STOPPED {
        return;
    }
    stop_like(stopped_by(&info));
    let pid = libc::pid_t::try_from(pid).unwrap_or(libc::pid_t::MAX);
    // SAFETY: kill has no memory-safety preconditions; the child is not reaped, so `pid` is
    // still its own.
    unsafe { libc::kill(pid, libc::SIGCONT) };
}

/// The signal that stopped a child, from its `CLD_STOPPED` report.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn stopped_by(info: &libc::siginfo_t) -> i32 {
    // SAFETY: a CLD_STOPPED report from waitid fills si_status.
    unsafe { info.si_status() }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn stopped_by(info: &libc::siginfo_t) -> i32 {
    info.si_status
}

/// Stops this process by `signal` (`SIGSTOP` if it is not a stop signal), at its default
/// action for the moment (a program may ignore `SIGTSTP`), sent to this thread so that the
/// stop happens before this returns; it returns once the process is continued. In an orphaned
/// process group the kernel drops `SIGTSTP`, `SIGTTIN` and `SIGTTOU` (no shell could continue
/// it): then this returns at once.
fn stop_like(signal: i32) {
    let signal = match signal {
        libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => signal,
        _ => libc::SIGSTOP,
    };
    let mut previous = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    let mut only = std::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    let mut mask = std::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: every pointer is to local memory of the right type: an all-zero sigaction is
    // SIG_DFL with no flags; sigemptyset fills `only` before sigaddset and pthread_sigmask
    // read it; `previous` and `mask` are read back only after the calls that fill them
    // succeeded. SIGSTOP's action cannot be changed (that sigaction fails, harmlessly).
    unsafe {
        let default = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
        let replaced = signal != libc::SIGSTOP
            && libc::sigaction(signal, default.as_ptr(), previous.as_mut_ptr()) == 0;
        libc::sigemptyset(only.as_mut_ptr());
        libc::sigaddset(only.as_mut_ptr(), signal);
        let unblocked =
            libc::pthread_sigmask(libc::SIG_UNBLOCK, only.as_ptr(), mask.as_mut_ptr()) == 0;
        libc::pthread_kill(libc::pthread_self(), signal);
        if unblocked {
            libc::pthread_sigmask(libc::SIG_SETMASK, mask.as_ptr(), std::ptr::null_mut());
        }
        if replaced {
            libc::sigaction(signal, previous.as_ptr(), std::ptr::null_mut());
        }
    }
}

/// `SIGCHLD` at its default action for the command `exec` starts, if it was ignored (an
/// inherited `SIG_IGN`) or its handler asked for `SA_NOCLDWAIT`: either lets the kernel reap
/// the child unasked, and its status is lost. The command inherits the default action.
pub(crate) fn child_signal_default() -> Reaping {
    let mut previous = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only reads the current one into valid memory.
    if unsafe { libc::sigaction(libc::SIGCHLD, std::ptr::null(), previous.as_mut_ptr()) } != 0 {
        return Reaping(None);
    }
    // SAFETY: sigaction succeeded and filled it.
    let previous = unsafe { previous.assume_init() };
    let mut wanted = previous;
    if previous.sa_sigaction == libc::SIG_IGN {
        wanted.sa_sigaction = libc::SIG_DFL;
        wanted.sa_flags = 0;
    } else if previous.sa_flags & libc::SA_NOCLDWAIT != 0 {
        wanted.sa_flags &= !libc::SA_NOCLDWAIT;
    } else {
        return Reaping(None);
    }
    // SAFETY: a valid action, the same handler (or the default) without automatic reaping.
    let set = unsafe {
        libc::sigaction(
            libc::SIGCHLD,
            std::ptr::addr_of!(wanted),
            std::ptr::null_mut(),
        )
    };
    Reaping((set == 0).then_some(previous))
}

/// The action `SIGCHLD` had before [`child_signal_default`] changed it, if it did.
pub(crate) struct Reaping(Option<libc::sigaction>);

impl Reaping {
    /// Puts the previous action back: the command did not start.
    pub(crate) fn put_back(self) {
        if let Some(previous) = self.0 {
            // SAFETY: the action read back from the kernel, valid as it was.
            unsafe {
                libc::sigaction(
                    libc::SIGCHLD,
                    std::ptr::addr_of!(previous),
                    std::ptr::null_mut(),
                )
            };
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
