//! Windows (and targets without processes): a child's handle keeps its id from being reused
//! while it is open, so waiting without reaping is `Child::wait` itself; a child ends with
//! an exit code only.

use std::io;
use std::process::{Child, ExitStatus};

use crate::sys::Ending;
use crate::Signal;

/// Nothing to wait for here: the caller's `Child::wait` does it, and no signal is passed on.
#[allow(clippy::unnecessary_wraps)] // Unix's can fail
pub(crate) fn wait_unreaped(_child: &Child) -> io::Result<()> {
    Ok(())
}

/// The exit code (on Windows, the whole 32-bit code, as `ExitProcess` takes it back).
pub(crate) fn ended_by(status: ExitStatus) -> Ending {
    Ending::Code(status.code().unwrap_or(1))
}

/// Nothing is passed on here: every console event reaches the child from the console itself.
pub(crate) fn pass_on(_pid: i32, _signal: Signal) {}

/// No sessions here.
pub(crate) fn leads_session() -> bool {
    false
}

/// One console: every child gets its events.
pub(crate) fn shares_our_group(_pid: i32) -> bool {
    true
}

/// No `SIGCHLD` here: nothing to change.
pub(crate) fn child_signal_default() -> Reaping {
    Reaping
}

/// Nothing was changed.
pub(crate) struct Reaping;

impl Reaping {
    /// Nothing to put back.
    #[allow(clippy::unused_self)] // Unix's puts an action back
    pub(crate) fn put_back(self) {}
}
