//! The exactly-once state machine, with no signals and no operating system in it.
//!
//! Two halves:
//!
//! - The **request** half is read and written from signal handlers, so it is made of atomics
//!   only ([`Machine::deliver`]). It remembers the first signal that asked the process to end
//!   and tells a repeat of the same burst from a second, separate request: in `graceful` mode
//!   the second request starts the cleanup without waiting for `main` (escalate), and any
//!   later one ends the process at once (force).
//! - The **phase** half decides who runs the cleanup: the first caller of [`Machine::begin`]
//!   gets [`Begin::Run`], every later one is told that the cleanup is running (and may wait
//!   for it with [`Machine::wait_done`]) or that it is over. It uses a mutex and a condition
//!   variable and is never touched from a signal handler.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::{Reason, Signal};

/// How close together two deliveries of the same signal must be to count as one request.
///
/// A loop of `kill`s or a signal sent to a whole process group arrives within microseconds
/// to a few milliseconds; a person pressing Ctrl-C twice takes far longer than this.
pub(crate) const BURST_WINDOW_NS: u64 = 100_000_000;

/// What the signal handler must do with a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// The first request: wake the runtime thread so it starts the cleanup.
    Start,
    /// Part of a request already being served (a burst, or a repeated `SIGHUP`): nothing to do.
    Repeat,
    /// `graceful` mode, a second request before the cleanup started: wake the runtime thread
    /// so it stops waiting for `main` and starts the cleanup now.
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

/// The shared state of one process. A `static` in the runtime; a local in tests.
pub(crate) struct Machine {
    /// [`Signal::code`] of the first request, 0 while there is none.
    request: AtomicU8,
    /// Monotonic time in nanoseconds of the latest delivery of the first request's signal.
    last_delivery: AtomicU64,
    /// `graceful` mode: the first request only asks `main` to finish.
    graceful: AtomicBool,
    /// A second request asked to stop waiting for `main` (graceful mode).
    escalated: AtomicBool,
    /// The cleanup has begun; mirrors the phase for the signal handler, which cannot lock.
    started: AtomicBool,
    phase: Mutex<Phase>,
    changed: Condvar,
}

impl Machine {
    pub(crate) const fn new() -> Machine {
        Machine {
            request: AtomicU8::new(0),
            last_delivery: AtomicU64::new(0),
            graceful: AtomicBool::new(false),
            escalated: AtomicBool::new(false),
            started: AtomicBool::new(false),
            phase: Mutex::new(Phase::Idle),
            changed: Condvar::new(),
        }
    }

    /// Records a delivery of `signal` at monotonic time `now_ns`. Async-signal-safe: atomics
    /// only, no lock, no allocation.
    pub(crate) fn deliver(&self, signal: Signal, now_ns: u64) -> Delivery {
        let code = signal.code();
        match self
            .request
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {
                self.last_delivery.store(now_ns, Ordering::Release);
                if signal.urgent() {
                    // The console is closing: there is no time to wait for `main`.
                    self.escalated.store(true, Ordering::Release);
                }
                Delivery::Start
            }
            Err(first) => {
                let separate = if first == code {
                    // The same signal again. Slide the burst window forward: a long loop of
                    // kills is one request, however long it lasts, as long as it has no pause.
                    let previous = self.last_delivery.swap(now_ns, Ordering::AcqRel);
                    now_ns.saturating_sub(previous) >= BURST_WINDOW_NS
                } else {
                    true
                };
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
        Signal::from_code(self.request.load(Ordering::Acquire))
    }

    /// Claims the cleanup for `reason`, exactly once per process.
    pub(crate) fn begin(&self, reason: Reason) -> Begin {
        let mut phase = self.lock();
        match *phase {
            Phase::Idle => {
                *phase = Phase::Running(reason);
                self.started.store(true, Ordering::Release);
                self.changed.notify_all();
                Begin::Run
            }
            Phase::Running(running) => Begin::Running(running),
            Phase::Done(done) => Begin::Done(done),
        }
    }

    /// Marks the cleanup claimed by [`Machine::begin`] as over and wakes every waiter.
    pub(crate) fn finish(&self) {
        let mut phase = self.lock();
        if let Phase::Running(reason) = *phase {
            *phase = Phase::Done(reason);
            self.changed.notify_all();
        }
    }

    /// Blocks until the cleanup is over and returns the reason it ran for.
    pub(crate) fn wait_done(&self) -> Reason {
        let phase = self
            .changed
            .wait_while(self.lock(), |phase| !matches!(phase, Phase::Done(_)))
            .unwrap_or_else(PoisonError::into_inner);
        match *phase {
            Phase::Done(reason) => reason,
            Phase::Idle | Phase::Running(_) => unreachable!("wait_while returned early"),
        }
    }

    /// Blocks until a cleanup started by a signal is running, then waits at most `limit` for it
    /// to finish. Returns the signal if the cleanup overran `limit`; `None` if it finished in
    /// time or if the cleanup was not started by a signal.
    pub(crate) fn overran(&self, limit: Duration) -> Option<Signal> {
        let phase = self
            .changed
            .wait_while(self.lock(), |phase| *phase == Phase::Idle)
            .unwrap_or_else(PoisonError::into_inner);
        let Phase::Running(Reason::Signal(signal)) = *phase else {
            return None;
        };
        let (_phase, wait) = self
            .changed
            .wait_timeout_while(phase, limit, |phase| matches!(phase, Phase::Running(_)))
            .unwrap_or_else(PoisonError::into_inner);
        wait.timed_out().then_some(signal)
    }

    fn lock(&self) -> MutexGuard<'_, Phase> {
        // A poisoned lock only means a panic elsewhere; the phase itself is always consistent.
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;

    const MS: u64 = 1_000_000;

    #[test]
    fn first_begin_runs_and_later_ones_see_it() {
        let machine = Machine::new();
        assert_eq!(machine.begin(Reason::Returned), Begin::Run);
        assert_eq!(
            machine.begin(Reason::Exited),
            Begin::Running(Reason::Returned)
        );
        machine.finish();
        assert_eq!(
            machine.begin(Reason::Panicked),
            Begin::Done(Reason::Returned)
        );
        assert_eq!(machine.wait_done(), Reason::Returned);
    }

    #[test]
    fn first_delivery_starts_and_burst_repeats() {
        let machine = Machine::new();
        assert_eq!(machine.request(), None);
        assert_eq!(
            machine.deliver(Signal::Terminate, 1_000 * MS),
            Delivery::Start
        );
        assert_eq!(machine.request(), Some(Signal::Terminate));
        // 300 deliveries 1 ms apart: a burst slides its window, so none forces.
        for i in 1..=300 {
            assert_eq!(
                machine.deliver(Signal::Terminate, 1_000 * MS + i * MS),
                Delivery::Repeat
            );
        }
        // A pause longer than the window, then the same signal: a second request.
        assert_eq!(
            machine.deliver(Signal::Terminate, 2_000 * MS),
            Delivery::Force
        );
        assert_eq!(machine.request(), Some(Signal::Terminate));
    }

    #[test]
    fn a_different_forcing_signal_forces_at_once() {
        let machine = Machine::new();
        assert_eq!(machine.deliver(Signal::Hangup, 10 * MS), Delivery::Start);
        assert_eq!(machine.deliver(Signal::Interrupt, 11 * MS), Delivery::Force);
    }

    #[test]
    fn hangup_and_quit_never_force() {
        let machine = Machine::new();
        assert_eq!(machine.deliver(Signal::Hangup, 0), Delivery::Start);
        assert_eq!(
            machine.deliver(Signal::Hangup, 5_000 * MS),
            Delivery::Repeat
        );
        assert_eq!(machine.deliver(Signal::Quit, 6_000 * MS), Delivery::Repeat);
        assert_eq!(machine.request(), Some(Signal::Hangup));
    }

    #[test]
    fn graceful_escalates_once_then_forces() {
        let machine = Machine::new();
        machine.set_graceful();
        assert_eq!(machine.deliver(Signal::Interrupt, 0), Delivery::Start);
        assert_eq!(machine.deliver(Signal::Interrupt, 5 * MS), Delivery::Repeat);
        assert!(!machine.escalated());
        assert_eq!(
            machine.deliver(Signal::Interrupt, 500 * MS),
            Delivery::Escalate
        );
        assert!(machine.escalated());
        assert_eq!(
            machine.deliver(Signal::Terminate, 501 * MS),
            Delivery::Force
        );
    }

    #[test]
    fn graceful_forces_once_the_cleanup_runs() {
        let machine = Machine::new();
        machine.set_graceful();
        assert_eq!(machine.deliver(Signal::Terminate, 0), Delivery::Start);
        assert_eq!(machine.begin(Reason::Signal(Signal::Terminate)), Begin::Run);
        assert_eq!(
            machine.deliver(Signal::Terminate, 500 * MS),
            Delivery::Force
        );
    }

    #[test]
    fn waiters_wake_when_the_cleanup_finishes() {
        let machine = Arc::new(Machine::new());
        assert_eq!(machine.begin(Reason::Signal(Signal::Interrupt)), Begin::Run);
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let machine = Arc::clone(&machine);
                thread::spawn(move || machine.wait_done())
            })
            .collect();
        thread::sleep(Duration::from_millis(20));
        machine.finish();
        for waiter in waiters {
            assert_eq!(waiter.join().unwrap(), Reason::Signal(Signal::Interrupt));
        }
    }

    #[test]
    fn overran_reports_only_signal_cleanups_that_overrun() {
        let slow = Arc::new(Machine::new());
        let watchdog = {
            let slow = Arc::clone(&slow);
            thread::spawn(move || slow.overran(Duration::from_millis(10)))
        };
        assert_eq!(slow.begin(Reason::Signal(Signal::Terminate)), Begin::Run);
        assert_eq!(watchdog.join().unwrap(), Some(Signal::Terminate));

        let quick = Machine::new();
        assert_eq!(quick.begin(Reason::Signal(Signal::Terminate)), Begin::Run);
        quick.finish();
        assert_eq!(quick.overran(Duration::from_secs(60)), None);

        let returned = Machine::new();
        assert_eq!(returned.begin(Reason::Returned), Begin::Run);
        assert_eq!(returned.overran(Duration::from_millis(1)), None);
    }

    #[test]
    fn exactly_one_of_many_racing_callers_runs() {
        for _ in 0..100 {
            let machine = Arc::new(Machine::new());
            let callers: Vec<_> = [
                Reason::Returned,
                Reason::Exited,
                Reason::Panicked,
                Reason::Signal(Signal::Terminate),
            ]
            .into_iter()
            .map(|reason| {
                let machine = Arc::clone(&machine);
                thread::spawn(move || {
                    let won = machine.begin(reason) == Begin::Run;
                    if won {
                        machine.finish();
                    }
                    machine.wait_done();
                    won
                })
            })
            .collect();
            let winners = callers
                .into_iter()
                .map(|c| c.join().unwrap())
                .filter(|won| *won)
                .count();
            assert_eq!(winners, 1);
        }
    }
}
