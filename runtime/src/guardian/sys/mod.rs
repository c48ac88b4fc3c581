//! The guardian's platform layer: watching a child so that no other process is ever signalled
//! in its place, the channel from the program to its guardian, and the hook that turns a copy
//! of the program into the guardian before its `main`. With `crate::sys`, the only place with
//! `unsafe` code.
//!
//! Each platform provides `Process` (a child watched with a pidfd, or a job object on Windows:
//! `pid`, `leads_group`, `stop`, `kill`, `has_exited`, `descriptor`) and `watch(&Child)`;
//! `GUARDIAN_KILLS`, whether the guardian stops the children (a job object does on Windows);
//! `Entry`, what an armed path names (its parent directory held open on Unix, `by_path.rs`
//! elsewhere); `Descriptor`, what travels beside a frame; `Link`, the program's end of the
//! channel, made by `start_guardian()`; `Inbox`, the guardian's end (frames, descriptors, and
//! who sent them); `Sender`, `Identity` and `current_rights()`, the program's identity and the
//! guardian acting as it (Linux; `as_itself.rs` elsewhere); and `path_bytes` /
//! `path_from_bytes`. Unix also provides `account_homes(&mut homes)`, which adds the home
//! directories in the user database (for `remove_on_exit`'s refusals); its `Entry` removes a
//! tree with a bounded number of descriptors however deep it is (`unix/remove.rs`).

/// What the program claims, with each frame, to hold besides its user and group (which the
/// kernel vouches for where it can): its supplementary groups and effective capabilities
/// (Linux; empty elsewhere). The guardian believes no more of it than it can check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Rights {
    pub(crate) groups: Vec<u32>,
    pub(crate) capabilities: u64,
}

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use self::unix::*;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod as_itself;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) use self::as_itself::*;

#[cfg(not(unix))]
mod by_path;
#[cfg(not(unix))]
pub(crate) use self::by_path::*;

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
    #[cfg(unix)]
    pub(crate) fn descriptor(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        match *self {}
    }
    #[cfg(not(unix))]
    pub(crate) fn descriptor(&self) -> Option<Descriptor<'_>> {
        match *self {}
    }
    pub(crate) fn has_exited(&self) -> bool {
        match *self {}
    }
}
