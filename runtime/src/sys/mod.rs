//! The platform layer: one file per platform, the same `pub(crate)` items in each. All of
//! the runtime's `unsafe` code lives below this folder.
//!
//! Each platform provides:
//!
//! - `raw_number(Signal) -> Option<i32>` and `name(Signal) -> &'static str`;
//! - `DEFAULT_SIGNALS`, what is caught when the attribute does not say;
//! - `catch(Signal, fn(Signal, u64) -> Delivery) -> io::Result<Caught>`, which installs the
//!   handler that reports each delivery to the state machine and acts on its answer;
//! - `holding(&[Signal], FnOnce() -> R) -> R`, which runs the installation with the signals
//!   held back, so that none is lost while a handler is being installed;
//! - `Waker`, on which the signal thread sleeps until the first request;
//! - `at_exit(extern "C" fn())`, the hook run by `exit`;
//! - `die_by(Signal) -> !`, which ends the process the way the signal would have;
//! - `run_console_handler(u32) -> Option<bool>`, for tests: calls the Windows console handler
//!   the way Windows does (`None` on Unix).

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::*;

/// What [`catch`] did with a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(windows, allow(dead_code))] // Windows has no inherited `SIG_IGN` to keep
pub(crate) enum Caught {
    /// The handler is installed.
    Yes,
    /// The process started with this signal ignored (`nohup`, `cmd &`): it stays ignored.
    IgnoredByParent,
}
