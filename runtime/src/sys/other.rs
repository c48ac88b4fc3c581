//! Targets without signals or processes to signal (wasm32): `main` returning and a panic are
//! the endings that exist there. Nothing is caught; nothing here is `unsafe`.

use std::io;
use std::time::Duration;

use super::{Action, Caught};
use crate::Signal;

/// Nothing to catch.
pub(crate) const DEFAULT_SIGNALS: &[Signal] = &[];

pub(crate) fn raw_number(_signal: Signal) -> Option<i32> {
    None
}

pub(crate) fn catch(_signal: Signal, _deliver: fn(Signal, u64) -> Action) -> io::Result<Caught> {
    Err(io::ErrorKind::Unsupported.into())
}

pub(crate) fn holding<R>(_signals: &[Signal], install: impl FnOnce() -> R) -> R {
    install()
}

/// Never created: there is no signal to wake for.
pub(crate) struct Waker(());

#[allow(clippy::unused_self)]
impl Waker {
    pub(crate) fn new() -> io::Result<Waker> {
        Err(io::ErrorKind::Unsupported.into())
    }

    pub(crate) fn wait(&self, _timeout: Option<Duration>) {}
}

/// No clock is needed: without signals, nothing waits for a deadline.
pub(crate) fn now_ns() -> u64 {
    0
}

/// No `exit` hook: `process::exit` is not caught here (the README says so).
pub(crate) fn at_exit(_hook: extern "C" fn()) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

pub(crate) fn die_by(_signal: Signal) -> ! {
    std::process::abort()
}

/// One process, never forked.
pub(crate) fn pid() -> u32 {
    1
}

/// One thread: there is no other to tell apart.
pub(crate) fn thread_id() -> u64 {
    1
}

pub(crate) fn parked_in_exit(_thread: u64) -> bool {
    false
}

#[cfg(feature = "test-hooks")]
pub(crate) fn run_console_handler(_event: u32) -> Option<bool> {
    None
}

/// No processes to stop and no process to outlive the program: `kill_on_exit` and
/// `remove_on_exit` say so.
pub(crate) const GUARDIAN_KILLS: bool = false;

pub(crate) use super::Unwatchable as Process;

pub(crate) fn watch(_child: &std::process::Child) -> io::Result<Option<Process>> {
    Err(io::ErrorKind::Unsupported.into())
}

pub(crate) enum Link {}

#[allow(clippy::unused_self)]
impl Link {
    pub(crate) fn send(&mut self, _frame: &[u8], _process: Option<&Process>) -> io::Result<()> {
        match *self {}
    }
}

pub(crate) fn start_guardian() -> io::Result<Link> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no process can outlive the program on this target",
    ))
}

pub(crate) enum Inbox {}

#[allow(clippy::unused_self)]
impl Inbox {
    pub(crate) fn receive(&mut self, _bytes: &mut Vec<u8>) -> io::Result<bool> {
        match *self {}
    }
    pub(crate) fn process(&mut self, _pid: i32, _group: bool) -> Option<Process> {
        match *self {}
    }
}

pub(crate) fn path_bytes(path: &std::path::Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

pub(crate) fn path_from_bytes(bytes: Vec<u8>) -> std::path::PathBuf {
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
        .into()
}
