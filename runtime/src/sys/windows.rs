//! Windows: console control events. The event handling itself comes with the Windows issue;
//! for now the return, panic and `exit` paths work and console events keep the system's
//! default handling.

// The waker is the console handler's half; it stays a stub until that handler lands.
#![allow(dead_code, clippy::unnecessary_wraps, clippy::unused_self)]

use std::io;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use super::Caught;
use crate::state::Delivery;
use crate::Signal;

/// Every console event: Ctrl-C, Ctrl-Break, and the window, session or system closing.
pub(crate) const DEFAULT_SIGNALS: &[Signal] = &[
    Signal::Interrupt,
    Signal::CtrlBreak,
    Signal::Close,
    Signal::Logoff,
    Signal::Shutdown,
];

/// `STATUS_CONTROL_C_EXIT`: how the default console handler ends a process.
const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;

pub(crate) fn raw_number(signal: Signal) -> Option<i32> {
    match signal {
        Signal::Interrupt => Some(0),
        Signal::CtrlBreak => Some(1),
        Signal::Close => Some(2),
        Signal::Logoff => Some(5),
        Signal::Shutdown => Some(6),
        Signal::Terminate | Signal::Hangup | Signal::Quit => None,
    }
}

pub(crate) fn name(signal: Signal) -> &'static str {
    match signal {
        Signal::Interrupt => "CTRL_C_EVENT",
        Signal::CtrlBreak => "CTRL_BREAK_EVENT",
        Signal::Close => "CTRL_CLOSE_EVENT",
        Signal::Logoff => "CTRL_LOGOFF_EVENT",
        Signal::Shutdown => "CTRL_SHUTDOWN_EVENT",
        Signal::Terminate => "SIGTERM",
        Signal::Hangup => "SIGHUP",
        Signal::Quit => "SIGQUIT",
    }
}

static WOKEN: Mutex<bool> = Mutex::new(false);
static WAKE: Condvar = Condvar::new();

/// The signal thread sleeps here until a console event wakes it.
pub(crate) struct Waker(());

impl Waker {
    pub(crate) fn new() -> io::Result<Waker> {
        Ok(Waker(()))
    }

    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        let woken = WOKEN.lock().unwrap_or_else(PoisonError::into_inner);
        let mut woken = match timeout {
            Some(timeout) => {
                WAKE.wait_timeout_while(woken, timeout, |woken| !*woken)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => WAKE
                .wait_while(woken, |woken| !*woken)
                .unwrap_or_else(PoisonError::into_inner),
        };
        *woken = false;
    }
}

pub(crate) fn catch(_signal: Signal, _deliver: fn(Signal, u64) -> Delivery) -> io::Result<Caught> {
    Ok(Caught::NotYet)
}

pub(crate) fn at_exit(hook: extern "C" fn()) -> io::Result<()> {
    extern "C" {
        fn atexit(hook: extern "C" fn()) -> i32;
    }
    // SAFETY: the C runtime's atexit takes any function that lives for the whole program;
    // `hook` is a plain function that never unwinds.
    if unsafe { atexit(hook) } == 0 {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::OutOfMemory, "atexit failed"))
    }
}

pub(crate) fn die_by(_signal: Signal) -> ! {
    // SAFETY: ExitProcess takes any exit code and does not return. It skips the C runtime's
    // atexit list, so the exit hook is not re-entered.
    unsafe { windows_sys::Win32::System::Threading::ExitProcess(STATUS_CONTROL_C_EXIT) }
}
