//! Wires the state machine to the process: the guard at the top of `main`, the `atexit`
//! hook, the signal thread and the timeout watchdog. Every ending goes through [`conclude`].

use std::cell::Cell;
use std::fmt;
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use crate::state::{Begin, Delivery, Machine};
use crate::sys::{self, Caught};
use crate::{Reason, Signal};

/// A cleanup, boxed: what every handler form becomes.
pub(crate) type Cleanup = Box<dyn FnOnce(Reason) + Send + 'static>;

static MACHINE: Machine = Machine::new();
static CLEANUP: Mutex<Option<Cleanup>> = Mutex::new(None);
static INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Set on the thread that is running the cleanup, while it runs: a cleanup that calls
    /// `process::exit` reaches the `atexit` hook on this thread, which must then step aside.
    static IN_CLEANUP: Cell<bool> = const { Cell::new(false) };
}

/// Installs the runtime: the `atexit` hook, the signal handlers and their thread, the timeout
/// watchdog. Returns `false` (and installs nothing) if it was already installed.
pub(crate) fn install(cleanup: Cleanup, signals: &[Signal], timeout: Option<Duration>) -> bool {
    if INSTALLED.swap(true, Ordering::AcqRel) {
        warn(format_args!(
            "the runtime is already installed; this second cleanup will not run"
        ));
        return false;
    }
    *CLEANUP.lock().unwrap_or_else(PoisonError::into_inner) = Some(cleanup);

    if let Err(error) = sys::at_exit(at_exit) {
        warn(format_args!(
            "cannot register the exit hook ({error}); the cleanup will not run on process::exit"
        ));
    }
    catch_signals(signals);
    if let Some(limit) = timeout {
        let watchdog = thread::Builder::new()
            .name("on-exit-watchdog".into())
            .spawn(move || watch(limit));
        if let Err(error) = watchdog {
            warn(format_args!(
                "cannot start the timeout watchdog ({error}); a slow cleanup will not be cut off"
            ));
        }
    }
    true
}

/// Ends `main` for `reason`: called by the guard when `main` returns or panics.
pub(crate) fn end_main(reason: Reason) {
    conclude(reason);
}

fn catch_signals(signals: &[Signal]) {
    let signals: Vec<Signal> = signals
        .iter()
        .copied()
        .filter(|s| s.as_raw().is_some())
        .collect();
    if signals.is_empty() {
        return;
    }
    let waker = match sys::Waker::new() {
        Ok(waker) => waker,
        Err(error) => {
            warn(format_args!(
                "cannot create the signal wake-up channel ({error}); the cleanup will not run on signals"
            ));
            return;
        }
    };
    let mut caught = false;
    for signal in signals {
        match sys::catch(signal, deliver) {
            Ok(Caught::Yes) => caught = true,
            // Inherited SIG_IGN (nohup, `cmd &` in a script): the parent wants it ignored.
            Ok(Caught::IgnoredByParent | Caught::NotYet) => {}
            Err(error) => warn(format_args!(
                "cannot catch {signal} ({error}); the cleanup will not run when it arrives"
            )),
        }
    }
    if !caught {
        return;
    }
    let thread = thread::Builder::new()
        .name("on-exit".into())
        .spawn(move || on_signal_thread(&waker));
    if let Err(error) = thread {
        warn(format_args!(
            "cannot start the signal thread ({error}); the cleanup will not run on signals"
        ));
    }
}

/// Called inside the signal handler: async-signal-safe (atomics only).
fn deliver(signal: Signal, now_ns: u64) -> Delivery {
    MACHINE.deliver(signal, now_ns)
}

/// The signal thread: sleeps in a blocking read until the first request, then serves it.
fn on_signal_thread(waker: &sys::Waker) {
    let signal = loop {
        waker.wait();
        if let Some(signal) = MACHINE.request() {
            break signal;
        }
    };
    conclude(Reason::Signal(signal));
    // `conclude` dies by the request it found; it can only return if the cleanup called
    // `exit`, which does not come back either.
    sys::die_by(signal);
}

/// The `atexit` hook: `process::exit` on any thread, or the end of the process after `main`.
extern "C" fn at_exit() {
    // No panic may cross this `extern "C"` boundary; `conclude` catches the cleanup's.
    conclude(Reason::Exited);
}

/// The watchdog for the `timeout` option: sleeps until a cleanup started by a signal runs,
/// then ends the process by that signal if the cleanup is not done within `limit`.
fn watch(limit: Duration) {
    if let Some(signal) = MACHINE.overran(limit) {
        warn(format_args!(
            "the cleanup did not finish within its timeout of {limit:?}; ending by {signal}"
        ));
        sys::die_by(signal);
    }
}

/// The one path every ending takes. Runs the cleanup if nobody has, or waits for the one
/// already running; then, if a signal asked the process to end, ends it by that signal.
fn conclude(reason: Reason) {
    match MACHINE.begin(reason) {
        Begin::Run => run_cleanup(reason),
        Begin::Running(_) if IN_CLEANUP.with(Cell::get) => {
            // The cleanup itself called `exit`: let that exit go ahead with its code.
            return;
        }
        Begin::Running(_) => {
            MACHINE.wait_done();
        }
        Begin::Done(_) => {}
    }
    if let Some(signal) = MACHINE.request() {
        sys::die_by(signal);
    }
}

fn run_cleanup(reason: Reason) {
    let cleanup = CLEANUP
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(cleanup) = cleanup {
        IN_CLEANUP.with(|flag| flag.set(true));
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| cleanup(reason)));
        IN_CLEANUP.with(|flag| flag.set(false));
        if outcome.is_err() {
            // The panic hook has already printed the message.
            warn(format_args!(
                "the cleanup panicked; the process ends as if it had returned"
            ));
        }
    }
    MACHINE.finish();
}

/// The runtime's own messages: never panic, even when stderr is gone (a closed terminal).
fn warn(message: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "on-exit: {message}");
}
