//! The exactly-once state machine, with no signals and no operating system in it.
//!
//! Two halves:
//!
//! - The **request** half is read and written from signal handlers, so it is made of atomics
//!   only ([`Machine::deliver`]). It remembers the first signal that asked the process to end
//!   and tells a burst (deliveries less than [`BURST_WINDOW_US`] apart, of any signals) from a
//!   second, separate request: in `graceful` mode the second request starts the cleanup without
//!   waiting for `main` (escalate), and any later one ends the process at once (force).
//! - The **phase** half decides who runs the cleanup: the first caller of [`Machine::begin`]
//!   gets [`Begin::Run`], every later one is told that the cleanup is running (and may wait
//!   for it with [`Machine::wait_done_or`]) or that it is over. It uses a mutex and a condition
//!   variable and is never touched from a signal handler.

use std::sync::PoisonError;
use std::time::Duration;

use crate::sync::{AtomicBool, AtomicU64, Condvar, Mutex, MutexGuard, Ordering};
use crate::{Reason, Signal};

/// How close together two deliveries must be to count as one request, in microseconds.
///
/// A loop of `kill`s, a signal sent to a whole process group, or a Ctrl-C that a process
/// manager forwards as `SIGTERM` a moment later arrive within microseconds to a few
/// milliseconds; a person pressing Ctrl-C twice takes far longer than this.
pub(crate) const BURST_WINDOW_US: u64 = 100_000;

/// How many times [`Machine::wait_done_or`] yields before it sleeps: about 0.1 ms of a core.
const SPINS: u32 = 100;

/// The request word: the first request's [`Signal::code`] in the top byte, the time of the
/// latest delivery (of any signal) in microseconds below it. One atomic, so that a delivery
/// never sees the request without the time that goes with it.
const CODE_SHIFT: u32 = 56;
const TIME_MASK: u64 = (1 << CODE_SHIFT) - 1;

/// What the signal handler must do with a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// The first request: wake the runtime thread so it starts the cleanup.
    Start,
    /// Part of a request already being served (a burst, or a repeated `SIGHUP`): nothing to do.
    Repeat,
    /// A second request before the cleanup started, in `graceful` mode (or a console that is
    /// closing): wake the runtime thread so it stops waiting for `main` and starts the cleanup.
    Escalate,
    /// A second, separate Ctrl-C or `SIGTERM`: end the process now, by this signal.
    Force,
}

/// What [`Machine::begin`] decided for its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Begin {
    /// The caller won: it must run the cleanup, then call [`Machine::finish`].
    Run,
    /// Another caller is running the cleanup for the given reason.
    Running(Reason),
    /// The cleanup already ran, for the given reason.
    Done(Reason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Running(Reason),
    Done(Reason),
}

/// What the mutex guards: the phase, and how many threads wait for it to change (so that a
/// change nobody waits for costs no wake-up system call on the signal's path).
struct Shared {
    phase: Phase,
    waiting: usize,
}

/// The shared state of one process.
pub(crate) struct Machine {
    /// See [`CODE_SHIFT`]: zero while there is no request.
    request: AtomicU64,
    /// `graceful` mode: the first request only asks `main` to finish.
    graceful: AtomicBool,
    /// A second request asked to stop waiting for `main` (graceful mode).
    escalated: AtomicBool,
    /// The cleanup has begun; mirrors the phase for the signal handler, which cannot lock.
    started: AtomicBool,
    shared: Mutex<Shared>,
    changed: Condvar,
}

impl Machine {
    pub(crate) fn new() -> Machine {
        Machine {
            request: AtomicU64::new(0),
            graceful: AtomicBool::new(false),
            escalated: AtomicBool::new(false),
            started: AtomicBool::new(false),
            shared: Mutex::new(Shared {
                phase: Phase::Idle,
                waiting: 0,
            }),
            changed: Condvar::new(),
        }
    }

    /// Records a delivery of `signal` at monotonic time `now_ns`. Async-signal-safe: atomics
    /// only, no lock, no allocation.
    pub(crate) fn deliver(&self, signal: Signal, now_ns: u64) -> Delivery {
        let now = (now_ns / 1_000) & TIME_MASK;
        let code = u64::from(signal.code());
        let mut word = self.request.load(Ordering::Acquire);
        // `None`: this delivery is the first request. `Some(separate)`: a later one, and
        // whether it came after a pause longer than the burst window.
        let separate = loop {
            let (first, last) = (word >> CODE_SHIFT, word & TIME_MASK);
            let (next, separate) = if first == 0 {
                ((code << CODE_SHIFT) | now, None)
            } else {
                // Slide the window: a long burst is one request as long as it has no pause.
                // Two handlers may read the clock in either order: keep the later time.
                let separate = now.saturating_sub(last) >= BURST_WINDOW_US;
                ((first << CODE_SHIFT) | now.max(last), Some(separate))
            };
            match self.request.compare_exchange_weak(
                word,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break separate,
                Err(current) => word = current,
            }
        };
        let Some(separate) = separate else {
            if signal.urgent() {
                // The console is closing: there is no time to wait for `main`.
                self.escalated.store(true, Ordering::Release);
            }
            return Delivery::Start;
        };
        if signal.urgent() && !self.escalated.swap(true, Ordering::AcqRel) {
            return Delivery::Escalate;
        }
        if !separate || !signal.forces() {
            Delivery::Repeat
        } else if self.graceful.load(Ordering::Acquire)
            && !self.started.load(Ordering::Acquire)
            && !self.escalated.swap(true, Ordering::AcqRel)
        {
            Delivery::Escalate
        } else {
            Delivery::Force
        }
    }

    /// Switches to `graceful` mode (set once, at install).
    pub(crate) fn set_graceful(&self) {
        self.graceful.store(true, Ordering::Release);
    }

    /// Whether a second request asked to stop waiting for `main`.
    pub(crate) fn escalated(&self) -> bool {
        self.escalated.load(Ordering::Acquire)
    }

    /// The first signal that asked the process to end, if one did.
    pub(crate) fn request(&self) -> Option<Signal> {
        let code = self.request.load(Ordering::Acquire) >> CODE_SHIFT;
        Signal::from_code(u8::try_from(code).ok()?)
    }

    /// Claims the cleanup for `reason`, exactly once per process.
    pub(crate) fn begin(&self, reason: Reason) -> Begin {
        let mut shared = self.lock();
        match shared.phase {
            Phase::Idle => {
                self.started.store(true, Ordering::Release);
                self.change(&mut shared, Phase::Running(reason));
                Begin::Run
            }
            Phase::Running(running) => Begin::Running(running),
            Phase::Done(done) => Begin::Done(done),
        }
    }

    /// Marks the cleanup claimed by [`Machine::begin`] as over and wakes every waiter.
    pub(crate) fn finish(&self) {
        let mut shared = self.lock();
        if let Phase::Running(reason) = shared.phase {
            self.change(&mut shared, Phase::Done(reason));
        }
    }

    fn change(&self, shared: &mut Shared, phase: Phase) {
        shared.phase = phase;
        if shared.waiting > 0 {
            self.changed.notify_all();
        }
    }

    /// Waits for a change of the phase, counted in `waiting` meanwhile.
    ///
    /// Never with a time limit: std's timed waits read the clock through code (an `unwrap` that
    /// brings `io::Error`'s `Debug`) that adds about 8 KiB to every binary. The two waits that
    /// need time ([`Machine::wait_done_or`], [`Machine::overran`]) sleep instead.
    fn wait<'a>(&self, mut shared: MutexGuard<'a, Shared>) -> MutexGuard<'a, Shared> {
        shared.waiting += 1;
        let mut shared = self
            .changed
            .wait(shared)
            .unwrap_or_else(PoisonError::into_inner);
        shared.waiting -= 1;
        shared
    }

    /// Blocks until the cleanup is over and returns the reason it ran for (tests only: the
    /// runtime waits with [`Machine::wait_done_or`]).
    #[cfg(test)]
    pub(crate) fn wait_done(&self) -> Reason {
        let mut shared = self.lock();
        loop {
            if let Phase::Done(reason) = shared.phase {
                return reason;
            }
            shared = self.wait(shared);
        }
    }

    /// Blocks until the cleanup is over (`true`), or until `stuck` says that the thread
    /// running it will never finish (`false`).
    ///
    /// It first yields its core [`SPINS`] times, which catches the usual quick cleanup (an
    /// empty one on a fresh thread is over in tens of microseconds) at once. Then it sleeps
    /// 50 µs, twice as long each time, at most `poll`, asking `stuck` before each sleep.
    pub(crate) fn wait_done_or(&self, poll: Duration, stuck: impl Fn() -> bool) -> bool {
        let mut shared = self.lock();
        let mut looks = 0_u32;
        let mut pause = Duration::from_micros(50);
        loop {
            if let Phase::Done(_) = shared.phase {
                return true;
            }
            let this_pause = if looks < SPINS {
                looks += 1;
                Duration::ZERO
            } else if stuck() {
                return false;
            } else {
                let this_pause = pause;
                pause = (pause * 2).min(poll);
                this_pause
            };
            shared = self.pause(shared, this_pause);
        }
    }

    /// Blocks until a cleanup started by a signal is running, then gives it `limit` to
    /// finish. Returns the signal if the cleanup overran `limit`; `None` if it finished in
    /// time or if the cleanup was not started by a signal.
    ///
    /// It lets the whole `limit` pass even if the cleanup finishes sooner: a cleanup started
    /// by a signal ends the process when it finishes, so nothing waits for this.
    pub(crate) fn overran(&self, limit: Duration) -> Option<Signal> {
        let mut shared = self.lock();
        while shared.phase == Phase::Idle {
            shared = self.wait(shared);
        }
        let Phase::Running(Reason::Signal(signal)) = shared.phase else {
            return None;
        };
        shared = self.pause(shared, limit);
        matches!(shared.phase, Phase::Running(_)).then_some(signal)
    }

    /// Lets `duration` pass with the lock released; with no duration, yields the core.
    #[cfg(not(all(test, on_exit_loom)))]
    fn pause<'a>(
        &'a self,
        shared: MutexGuard<'a, Shared>,
        duration: Duration,
    ) -> MutexGuard<'a, Shared> {
        drop(shared);
        if duration.is_zero() {
            std::thread::yield_now();
        } else {
            std::thread::sleep(duration);
        }
        self.lock()
    }

    /// loom has no time: a pause is modelled as a timed wait that never times out, which
    /// returns at the next change of the phase.
    #[cfg(all(test, on_exit_loom))]
    fn pause<'a>(
        &'a self,
        shared: MutexGuard<'a, Shared>,
        _duration: Duration,
    ) -> MutexGuard<'a, Shared> {
        self.wait(shared)
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A poisoned lock only means a panic elsewhere; the phase itself is always consistent.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(all(test, not(on_exit_loom)))]
mod tests;
