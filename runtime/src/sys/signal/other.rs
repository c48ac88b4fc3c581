//! Targets without signals or processes to signal (wasm32): `main` returning and a panic are
//! the endings that exist there. Nothing is caught; nothing here is `unsafe`.

use std::io;

use crate::sys::{Action, Caught, Sender};
use crate::Signal;

/// Nothing to catch.
pub(crate) const DEFAULT_SIGNALS: &[Signal] = &[];

pub(crate) fn raw_number(_signal: Signal) -> Option<i32> {
    None
}

pub(crate) fn catch(
    _signal: Signal,
    _deliver: fn(Signal, u64, Sender) -> Action,
) -> io::Result<Caught> {
    Err(io::ErrorKind::Unsupported.into())
}

pub(crate) fn holding<R>(_signals: &[Signal], install: impl FnOnce() -> R) -> R {
    install()
}

/// No clock is needed: without signals, nothing waits for a deadline.
pub(crate) fn now_ns() -> u64 {
    0
}

/// No `exit` hook: `process::exit` is not caught here (the README says so).
pub(crate) fn at_exit(_hook: extern "C" fn()) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Nothing to do: there is no `exit` to see.
#[allow(clippy::unnecessary_wraps)] // the same signature as on Windows, where it can fail
pub(crate) fn at_exit_in_cleanup(_hook: fn()) -> io::Result<()> {
    Ok(())
}

/// Nothing to mark (see [`at_exit_in_cleanup`]).
pub(crate) fn mark_cleanup(_running: bool) {}

pub(crate) fn die_by(_signal: Signal) -> ! {
    std::process::abort()
}

#[cfg(feature = "__test-hooks")]
pub(crate) fn run_console_handler(_event: u32) -> Option<bool> {
    None
}

/// `exec`'s ending like a child killed by a signal: children end with codes here.
#[allow(dead_code)]
pub(crate) fn die_like_a_child(_raw: i32) -> ! {
    std::process::exit(1)
}
