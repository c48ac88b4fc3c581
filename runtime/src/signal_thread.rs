//! The signal thread: the handlers record each delivery (async-signal-safe) and wake it; it
//! serves the first request (graceful or not), then ends the process by that signal. It also
//! runs the cleanups for a thread in `exit` that could not start a thread of its own.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::driver;
use crate::exec;
use crate::per_process::this_process;
use crate::runtime::Runtime;
use crate::state::Delivery;
use crate::sys::{self, Action, Caught, Sender};
use crate::{Reason, Signal};

/// Whether any signal handler is installed (one may be refused, or ignored by the parent).
static CAUGHT: AtomicBool = AtomicBool::new(false);
/// Set when the signal thread of this process could not be started: the handlers then pass
/// every signal on (its default action), since nothing would serve the request. Holds the
/// process ([`this_process`]) it is about: a forked child tries again.
static NO_THREAD: AtomicU64 = AtomicU64::new(0);
/// The process ([`this_process`]) whose signal thread is running, 0 before: the thread that
/// runs the cleanups for `exit` when no new thread can be started.
static SIGNAL_THREAD: AtomicU64 = AtomicU64::new(0);
/// A hand-off for the signal thread: the cleanups to run, for a thread in `exit` that could
/// not start one of its own (a process at its thread limit), and the process it is for.
static HANDED_OFF: Mutex<Option<(u64, Reason)>> = Mutex::new(None);

/// Installs the handlers of `signals` (once per program: a forked child inherits them).
pub(crate) fn catch(signals: &[Signal]) {
    // `holding` skips the signals the platform lacks; so does this loop.
    let caught = sys::holding(signals, || {
        let mut caught = false;
        for &signal in signals.iter().filter(|signal| signal.as_raw().is_some()) {
            match sys::catch(signal, deliver) {
                Ok(Caught::Yes) => caught = true,
                // Inherited SIG_IGN (nohup, `cmd &` in a script): the parent wants it ignored.
                Ok(Caught::IgnoredByParent) => {}
                Err(error) => driver::warn(format_args!(
                    "cannot catch {signal} ({error}); the cleanup will not run when it arrives"
                )),
            }
        }
        caught
    });
    CAUGHT.store(caught, Ordering::Release);
}

/// Whether any handler is installed.
pub(crate) fn caught() -> bool {
    CAUGHT.load(Ordering::Acquire)
}

/// Starts this process's signal thread; without one, signals take their default action.
pub(crate) fn start(runtime: &'static Runtime) {
    let waker = match sys::Waker::new() {
        Ok(waker) => waker,
        Err(error) => {
            driver::warn(format_args!(
                "cannot create the signal wake-up channel ({error}); the cleanup will not run on signals"
            ));
            return;
        }
    };
    let started = driver::spawn(
        c"on-exit",
        Box::new(move || on_signal_thread(runtime, &waker)),
    );
    if let Err(error) = started {
        // Nothing would serve a request: signals keep their default action from now on, and
        // one that came before is served here and now.
        NO_THREAD.store(this_process(), Ordering::Release);
        driver::warn(format_args!(
            "cannot start the signal thread ({error}); signals end the program without the cleanup"
        ));
        if let Some(signal) = runtime.request() {
            driver::conclude(Reason::Signal(signal));
            driver::die_by(signal);
        }
    } else {
        // It serves hand-offs from its first look on.
        SIGNAL_THREAD.store(this_process(), Ordering::Release);
    }
}

/// Called inside the signal handler: async-signal-safe (atomics, and one `getpid`).
fn deliver(signal: Signal, now_ns: u64, sender: Sender) -> Action {
    // A child sharing its parent's memory (`vfork` before its `exec`, `clone` with
    // `CLONE_VM`) sees the parent's runtime: it must act as if on-exit were not there, and
    // never write what its parent reads.
    if !sys::owns_its_memory() {
        return Action::Pass;
    }
    // None: a forked child without a runtime of its own: as if on-exit were not there.
    let Some(runtime) = driver::runtime() else {
        return Action::Pass;
    };
    // While `exec` runs a child, its ending is the child's: the signal only goes on to it.
    if let Some(action) = exec::intercept(signal, sender) {
        return action;
    }
    if NO_THREAD.load(Ordering::Acquire) == this_process() {
        return Action::Pass;
    }
    match runtime.deliver(signal, now_ns) {
        Delivery::Start | Delivery::Escalate => Action::Wake,
        Delivery::Repeat => Action::Nothing,
        Delivery::Force => Action::Die,
    }
}

/// The signal thread: sleeps until the first request, then serves it.
fn on_signal_thread(runtime: &'static Runtime, waker: &sys::Waker) {
    // The request is checked before each sleep: one recorded before the thread started (in a
    // forked child, say) is not missed.
    let signal = loop {
        serve_hand_off(runtime);
        if let Some(signal) = runtime.request() {
            break signal;
        }
        waker.wait(None);
    };
    runtime.wake_waiters();
    if runtime.settings.graceful {
        // `main` was asked to finish: give it until the timeout, or until a second request.
        // In nanoseconds of the platform's monotonic clock: `Instant` would bring std's clock
        // code (see `Machine::wait`).
        let nanos = |timeout: Duration| u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        let deadline = runtime
            .settings
            .timeout
            .map(|timeout| sys::now_ns().saturating_add(nanos(timeout)));
        while !runtime.machine.escalated() {
            let remaining = match deadline {
                None => None,
                Some(deadline) => match deadline.checked_sub(sys::now_ns()) {
                    Some(remaining) if remaining > 0 => Some(Duration::from_nanos(remaining)),
                    _ => break,
                },
            };
            waker.wait(remaining);
            serve_hand_off(runtime);
        }
    }
    driver::conclude(Reason::Signal(signal));
    // `conclude` dies by the request it found; it can only return if the cleanup called
    // `exit`, which does not come back either.
    sys::die_by(signal);
}

/// Hands the cleanups to the signal thread, for a thread in `exit` that cannot start one of
/// its own; whether there is a signal thread to take them.
pub(crate) fn hand_off(reason: Reason) -> bool {
    if SIGNAL_THREAD.load(Ordering::Acquire) != this_process() {
        return false;
    }
    *HANDED_OFF.lock().unwrap_or_else(PoisonError::into_inner) = Some((this_process(), reason));
    sys::wake();
    true
}

/// Runs the cleanups handed off by a thread in `exit`, if one did (see [`hand_off`]).
fn serve_hand_off(runtime: &'static Runtime) {
    let handed = HANDED_OFF
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some((_, reason)) = handed.filter(|(process, _)| *process == this_process()) {
        driver::run_queued(runtime, reason);
    }
}
