//! Wires the state machine to the process: the guard at the top of `main`, the `atexit`
//! hook, the signal thread and the timeout watchdog. Every ending goes through [`conclude`].

use std::cell::Cell;
use std::fmt;
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::registry::{Added, Boxed, Id, Registry};
use crate::state::{Delivery, Machine};
use crate::sys::{self, Caught};
use crate::{signalled, Reason, Signal};

static MACHINE: Machine = Machine::new();
static CLEANUPS: Registry = Registry::new();
static INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Set on the thread that is running the cleanups, while they run: a cleanup that calls
    /// `process::exit` reaches the `atexit` hook on this thread, which must then step aside.
    static IN_CLEANUP: Cell<bool> = const { Cell::new(false) };
}

/// What the runtime is installed with: the attribute's options, or the defaults.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    pub(crate) signals: &'static [Signal],
    pub(crate) timeout: Option<Duration>,
    pub(crate) graceful: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            signals: sys::DEFAULT_SIGNALS,
            timeout: None,
            graceful: false,
        }
    }
}

/// Installs the runtime: the `atexit` hook, the signal handlers and their thread, the timeout
/// watchdog. Returns `false` (and installs nothing) if it was already installed.
pub(crate) fn install(settings: Settings) -> bool {
    if INSTALLED.swap(true, Ordering::AcqRel) {
        return false;
    }
    if settings.graceful {
        MACHINE.set_graceful();
    }
    if let Err(error) = sys::at_exit(at_exit) {
        warn(format_args!(
            "cannot register the exit hook ({error}); the cleanup will not run on process::exit"
        ));
    }
    catch_signals(settings);
    if let Some(limit) = settings.timeout {
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

/// Adds a cleanup, installing the runtime with the defaults if nothing did yet. A cleanup
/// added after the cleanups started runs at once, on this thread.
pub(crate) fn register(cleanup: Boxed) -> Option<Id> {
    install(Settings::default());
    match CLEANUPS.add(cleanup) {
        Added::Queued(id) => Some(id),
        Added::Late(cleanup, reason) => {
            run_one(cleanup, reason);
            None
        }
    }
}

/// Takes back a registered cleanup that has not started, for a scoped cleanup.
pub(crate) fn unregister(id: Id) -> Option<Boxed> {
    CLEANUPS.remove(id)
}

/// The first signal that asked the process to end, if one did.
pub(crate) fn request() -> Option<Signal> {
    MACHINE.request()
}

fn catch_signals(settings: Settings) {
    let signals: Vec<Signal> = settings
        .signals
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
    let caught = sys::holding(&signals, || {
        let mut caught = false;
        for &signal in &signals {
            match sys::catch(signal, deliver) {
                Ok(Caught::Yes) => caught = true,
                // Inherited SIG_IGN (nohup, `cmd &` in a script): the parent wants it ignored.
                Ok(Caught::IgnoredByParent) => {}
                Err(error) => warn(format_args!(
                    "cannot catch {signal} ({error}); the cleanup will not run when it arrives"
                )),
            }
        }
        caught
    });
    if !caught {
        return;
    }
    let thread = thread::Builder::new()
        .name("on-exit".into())
        .spawn(move || on_signal_thread(&waker, settings));
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
fn on_signal_thread(waker: &sys::Waker, settings: Settings) {
    let signal = loop {
        waker.wait(None);
        if let Some(signal) = MACHINE.request() {
            break signal;
        }
    };
    signalled::wake_all();
    if settings.graceful {
        // `main` was asked to finish: give it until the timeout, or until a second request.
        let deadline = settings.timeout.map(|timeout| Instant::now() + timeout);
        while !MACHINE.escalated() {
            let remaining = match deadline {
                None => None,
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(remaining) if !remaining.is_zero() => Some(remaining),
                    _ => break,
                },
            };
            waker.wait(remaining);
        }
    }
    conclude(Reason::Signal(signal));
    // `conclude` dies by the request it found; it can only return if the cleanup called
    // `exit`, which does not come back either.
    sys::die_by(signal);
}

/// The `atexit` hook: `process::exit` on any thread, or the end of the process after `main`.
extern "C" fn at_exit() {
    // No panic may cross this `extern "C"` boundary; `conclude` catches the cleanups'.
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

/// The one path every ending takes (see [`Machine::conclude`]): runs the cleanups if nobody
/// has, or waits for the ones already running; then, if a signal asked the process to end,
/// ends it by that signal. The guard calls it when `main` returns or panics.
pub(crate) fn conclude(reason: Reason) {
    if let Some(signal) = MACHINE.conclude(reason, IN_CLEANUP.with(Cell::get), run_cleanups) {
        sys::die_by(signal);
    }
}

fn run_cleanups(reason: Reason) {
    CLEANUPS.close(reason);
    while let Some(cleanup) = CLEANUPS.pop() {
        run_one(cleanup, reason);
    }
}

/// Runs one cleanup; a panic in it is reported and does not stop the others.
fn run_one(cleanup: Boxed, reason: Reason) {
    let outer = IN_CLEANUP.with(|flag| flag.replace(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| cleanup(reason)));
    IN_CLEANUP.with(|flag| flag.set(outer));
    if outcome.is_err() {
        // The panic hook has already printed the message.
        warn(format_args!(
            "a cleanup panicked; the process ends as if it had returned"
        ));
    }
}

/// Runs a scoped cleanup early, outside the process's ending.
pub(crate) fn run_early(cleanup: Boxed) {
    // A scoped cleanup takes no reason; the one passed here is never seen.
    cleanup(Reason::Returned);
}

/// The runtime's own messages: never panic, even when stderr is gone (a closed terminal).
pub(crate) fn warn(message: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "on-exit: {message}");
}
