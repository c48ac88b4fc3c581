//! The platform layer: one file per platform, the same `pub(crate)` items in each. All of
//! the runtime's `unsafe` code lives below this folder.
//!
//! Each platform provides:
//!
//! - `raw_number(Signal) -> Option<i32>`;
//! - `DEFAULT_SIGNALS`, what is caught when the attribute does not say;
//! - `catch(Signal, fn(Signal, u64) -> Action) -> io::Result<Caught>`, which installs the
//!   handler that reports each delivery (with a monotonic time in nanoseconds) and does what
//!   the answer says;
//! - `holding(&[Signal], FnOnce() -> R) -> R`, which runs the installation with the signals
//!   held back, so that none is lost while a handler is being installed;
//! - `Waker`, on which the signal thread sleeps until the first request;
//! - `at_exit(extern "C" fn())`, the hook run by `exit`;
//! - `die_by(Signal) -> !`, which ends the process the way the signal would have;
//! - `now_ns() -> u64`, a monotonic clock in nanoseconds (async-signal-safe on Unix);
//! - `thread_id() -> u64` and `parked_in_exit(u64) -> bool`: whether a thread is parked for
//!   ever by std's `exit` (Linux, where std parks a second thread that calls `exit`);
//! - `run_console_handler(u32) -> Option<bool>`, for tests: calls the Windows console handler
//!   the way Windows does (`None` on Unix);
//! - for [`crate::guardian`]: `Process` (a child watched with a pidfd, or a job object on
//!   Windows: `stop`, `kill`, `has_exited`) and `watch(&Child)`; `Link`, the program's end of
//!   the channel to the guardian, made by `start_guardian()`; `Inbox`, the guardian's end;
//!   `path_bytes` / `path_from_bytes`; and the hook, run before `main` in every process of
//!   the program, that turns the copy started by `start_guardian` into the guardian.

use std::sync::atomic::{AtomicPtr, Ordering};

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

#[cfg(not(any(unix, windows)))]
mod other;
#[cfg(not(any(unix, windows)))]
pub(crate) use other::*;

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

/// What [`catch`] did with a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(unix), allow(dead_code))] // only Unix has an inherited `SIG_IGN` to keep
pub(crate) enum Caught {
    /// The handler is installed.
    Yes,
    /// The process started with this signal ignored (`nohup`, `cmd &`): it stays ignored.
    IgnoredByParent,
}

/// What a signal handler does once the delivery is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Wake the signal thread.
    Wake,
    /// Nothing: the request is already being served.
    Nothing,
    /// End the process now, by this signal.
    Die,
}

/// A `&'static T` that a signal handler can read (one atomic load) and that can be replaced:
/// the runtime of the process, which a forked child replaces with its own.
pub(crate) struct Published<T: 'static>(AtomicPtr<T>);

impl<T: Sync> Published<T> {
    pub(crate) const fn empty() -> Published<T> {
        Published(AtomicPtr::new(std::ptr::null_mut()))
    }

    pub(crate) fn get(&self) -> Option<&'static T> {
        let pointer = self.0.load(Ordering::Acquire);
        // SAFETY: the pointer is null or came from a `&'static T` in `publish`, so it is
        // aligned, points to a live `T` for the rest of the program, and is only ever shared.
        unsafe { pointer.as_ref() }
    }

    pub(crate) fn publish(&self, value: &'static T) {
        self.0
            .store(std::ptr::from_ref(value).cast_mut(), Ordering::Release);
    }

    /// Publishes `value` if `current` is still the published one: whether it was.
    pub(crate) fn publish_over(&self, current: Option<&'static T>, value: &'static T) -> bool {
        let current = current.map_or(std::ptr::null_mut(), |c| std::ptr::from_ref(c).cast_mut());
        self.0
            .compare_exchange(
                current,
                std::ptr::from_ref(value).cast_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }
}
