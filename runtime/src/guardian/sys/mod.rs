//! The guardian's platform layer: watching a child so that no other process is ever signalled
//! in its place, the channel from the program to its guardian, and the hook that turns a copy
//! of the program into the guardian before its `main`. With `crate::sys`, the only place with
//! `unsafe` code.
//!
//! Each platform provides `Process` (a child watched with a pidfd, or a job object on Windows:
//! `pid`, `leads_group`, `stop`, `kill`, `has_exited`) and `watch(&Child)`; `GUARDIAN_KILLS`,
//! whether the guardian stops the children (a job object does on Windows); `Link`, the
//! program's end of the channel, made by `start_guardian()`; `Inbox`, the guardian's end; and
//! `path_bytes` / `path_from_bytes`. Unix also provides `remove_tree(&Path)`, a removal that
//! holds a bounded number of descriptors however deep the tree, and `account_homes()`, the
//! home directories in the user database (for `remove_on_exit`'s refusals).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use self::unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use self::windows::*;

#[cfg(not(any(unix, windows)))]
mod other;
#[cfg(not(any(unix, windows)))]
pub(crate) use self::other::*;

/// A child process where none can be watched without the risk of signalling another process
/// that got its number (Unix systems without pidfds) or at all (wasm32): no value exists, so
/// `watch` returns an error and the rest never runs.
#[cfg(not(any(windows, target_os = "linux", target_os = "android")))]
pub(crate) enum Unwatchable {}

#[cfg(not(any(windows, target_os = "linux", target_os = "android")))]
#[allow(clippy::unused_self)]
impl Unwatchable {
    pub(crate) fn pid(&self) -> i32 {
        match *self {}
    }
    pub(crate) fn leads_group(&self) -> bool {
        match *self {}
    }
    pub(crate) fn stop(&self) {}
    pub(crate) fn kill(&self) {}
    pub(crate) fn has_exited(&self) -> bool {
        match *self {}
    }
}
