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

use std::sync::PoisonError;
use std::time::{Duration, Instant};

use crate::sync::{AtomicBool, AtomicU64, AtomicU8, Condvar, Mutex, MutexGuard, Ordering};
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

/// What the mutex guards: the phase, and how many threads wait for it to change (so that a
/// change nobody waits for costs no wake-up system call on the signal's path).
struct Shared {
    phase: Phase,
    waiting: usize,
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
    shared: Mutex<Shared>,
    changed: Condvar,
}

/// Builds a machine; `const` with std's primitives (the runtime keeps one in a `static`),
/// not with loom's.
macro_rules! new_machine {
    ($($const:ident)?) => {
        pub(crate) $($const)? fn new() -> Machine {
            Machine {
                request: AtomicU8::new(0),
                last_delivery: AtomicU64::new(0),
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
    };
}

impl Machine {
    #[cfg(not(loom))]
    new_machine!(const);
    #[cfg(loom)]
    new_machine!();

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
    fn wait<'a>(
        &self,
        mut shared: MutexGuard<'a, Shared>,
        limit: Option<Duration>,
    ) -> MutexGuard<'a, Shared> {
        shared.waiting += 1;
        let mut shared = match limit {
            None => self.changed.wait(shared),
            Some(limit) => self
                .changed
                .wait_timeout(shared, limit)
                .map(|(shared, _)| shared)
                .map_err(|poisoned| PoisonError::new(poisoned.into_inner().0)),
        }
        .unwrap_or_else(PoisonError::into_inner);
        shared.waiting -= 1;
        shared
    }

    /// The one path every ending takes: runs the cleanup (through `run`) if nobody has, or
    /// waits for the one already running. Returns the signal the process must then die by,
    /// if a signal asked it to end.
    ///
    /// `in_cleanup`: the caller is the thread running the cleanup (a cleanup calling `exit`
    /// reaches the exit hook on its own thread); it must not wait for itself.
    pub(crate) fn conclude(
        &self,
        reason: Reason,
        in_cleanup: bool,
        run: impl FnOnce(Reason),
    ) -> Option<Signal> {
        // Once a signal asked the process to end, it ends by that signal: tell the cleanup so.
        let reason = self.request().map_or(reason, Reason::Signal);
        match self.begin(reason) {
            Begin::Run => {
                run(reason);
                self.finish();
            }
            // A cleanup called `exit`: let that exit go ahead with its code.
            Begin::Running(_) if in_cleanup => return None,
            Begin::Running(_) => {
                self.wait_done();
            }
            Begin::Done(_) => {}
        }
        self.request()
    }

    /// Blocks until the cleanup is over and returns the reason it ran for.
    pub(crate) fn wait_done(&self) -> Reason {
        let mut shared = self.lock();
        loop {
            if let Phase::Done(reason) = shared.phase {
                return reason;
            }
            shared = self.wait(shared, None);
        }
    }

    /// Blocks until a cleanup started by a signal is running, then waits at most `limit` for it
    /// to finish. Returns the signal if the cleanup overran `limit`; `None` if it finished in
    /// time or if the cleanup was not started by a signal.
    pub(crate) fn overran(&self, limit: Duration) -> Option<Signal> {
        let mut shared = self.lock();
        while shared.phase == Phase::Idle {
            shared = self.wait(shared, None);
        }
        let Phase::Running(Reason::Signal(signal)) = shared.phase else {
            return None;
        };
        let deadline = Instant::now() + limit;
        while matches!(shared.phase, Phase::Running(_)) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return Some(signal);
            };
            shared = self.wait(shared, Some(left));
        }
        None
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A poisoned lock only means a panic elsewhere; the phase itself is always consistent.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(all(test, not(loom)))]
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

/// Model checking with loom: every interleaving of the triggers below is explored.
///
/// ```text
/// RUSTFLAGS="--cfg loom" cargo test -p on-exit-runtime --lib --release model
/// ```
///
/// Each model asserts that the cleanup runs exactly once, that every thread finishes (loom
/// reports a deadlock or a lost wake-up as a thread that never does), and what each delivery
/// of a signal was told.
#[cfg(all(test, loom))]
mod model {
    use super::*;
    use loom::sync::atomic::AtomicUsize;
    use loom::sync::Arc;
    use loom::thread;

    const SECOND: u64 = 1_000_000_000;

    /// Explores every interleaving of `model` (up to `preemptions` preemptions, if given) and
    /// prints how many there were.
    fn explore(name: &str, preemptions: Option<usize>, model: impl Fn() + Sync + Send + 'static) {
        use std::sync::atomic::{AtomicUsize as Count, Ordering as CountOrdering};
        let count = std::sync::Arc::new(Count::new(0));
        let counted = std::sync::Arc::clone(&count);
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = preemptions;
        builder.check(move || {
            counted.fetch_add(1, CountOrdering::Relaxed);
            model();
        });
        eprintln!(
            "loom: {name}: {} interleavings",
            count.load(CountOrdering::Relaxed)
        );
    }

    type Run = Box<dyn FnOnce(Reason)>;

    /// A cleanup that counts its runs.
    fn counter() -> (Arc<AtomicUsize>, impl Fn() -> Run) {
        let runs = Arc::new(AtomicUsize::new(0));
        let make = {
            let runs = Arc::clone(&runs);
            move || {
                let runs = Arc::clone(&runs);
                Box::new(move |_: Reason| {
                    runs.fetch_add(1, Ordering::SeqCst);
                }) as Run
            }
        };
        (runs, make)
    }

    /// The signal thread: the delivery, then (when it started a request) the cleanup.
    fn signal_thread(machine: &Machine, signal: Signal, now: u64, run: Run) -> Delivery {
        let delivery = machine.deliver(signal, now);
        if delivery == Delivery::Start {
            assert_eq!(
                machine.conclude(Reason::Signal(signal), false, run),
                Some(signal)
            );
        }
        delivery
    }

    #[test]
    fn model_main_ending_races_a_signal() {
        for ending in [Reason::Returned, Reason::Panicked, Reason::Exited] {
            explore(&format!("{ending:?} vs a signal"), None, move || {
                let machine = Arc::new(Machine::new());
                let (runs, cleanup) = counter();
                let signal = {
                    let machine = Arc::clone(&machine);
                    let run = cleanup();
                    thread::spawn(move || signal_thread(&machine, Signal::Terminate, 0, run))
                };
                let main_dies_by = machine.conclude(ending, false, cleanup());
                assert_eq!(signal.join().unwrap(), Delivery::Start);
                assert_eq!(runs.load(Ordering::SeqCst), 1);
                // Main either finished before the request (and exits with its own code) or
                // saw it, and then dies by it.
                assert!(matches!(main_dies_by, None | Some(Signal::Terminate)));
            });
        }
    }

    #[test]
    fn model_return_exit_on_another_thread_and_a_signal() {
        explore("return, exit on another thread and a signal", None, || {
            let machine = Arc::new(Machine::new());
            let (runs, cleanup) = counter();
            let exit = {
                let machine = Arc::clone(&machine);
                let run = cleanup();
                thread::spawn(move || machine.conclude(Reason::Exited, false, run))
            };
            let signal = {
                let machine = Arc::clone(&machine);
                let run = cleanup();
                thread::spawn(move || signal_thread(&machine, Signal::Interrupt, 0, run))
            };
            machine.conclude(Reason::Returned, false, cleanup());
            exit.join().unwrap();
            signal.join().unwrap();
            assert_eq!(runs.load(Ordering::SeqCst), 1);
        });
    }

    #[test]
    fn model_two_different_signals_start_once_and_force_once() {
        explore("two different signals", None, || {
            let machine = Arc::new(Machine::new());
            let (runs, cleanup) = counter();
            let first = {
                let machine = Arc::clone(&machine);
                let run = cleanup();
                thread::spawn(move || signal_thread(&machine, Signal::Interrupt, 0, run))
            };
            let second = signal_thread(&machine, Signal::Terminate, 0, cleanup());
            let first = first.join().unwrap();
            let mut told = [first, second];
            told.sort_by_key(|delivery| *delivery as u8);
            assert_eq!(told, [Delivery::Start, Delivery::Force]);
            assert_eq!(runs.load(Ordering::SeqCst), 1);
        });
    }

    #[test]
    fn model_graceful_second_request_races_main_returning() {
        explore("graceful: second request vs main returning", None, || {
            let machine = Arc::new(Machine::new());
            machine.set_graceful();
            let (runs, cleanup) = counter();
            assert_eq!(machine.deliver(Signal::Terminate, 0), Delivery::Start);
            let second = {
                let machine = Arc::clone(&machine);
                let run = cleanup();
                thread::spawn(move || {
                    let told = machine.deliver(Signal::Terminate, SECOND);
                    if told == Delivery::Escalate {
                        // The signal thread stops waiting for main and starts the cleanup.
                        machine.conclude(Reason::Signal(Signal::Terminate), false, run);
                    }
                    told
                })
            };
            let main_dies_by = machine.conclude(Reason::Returned, false, cleanup());
            let told = second.join().unwrap();
            // Escalate while the cleanup had not begun, Force once it had: never both.
            assert!(matches!(told, Delivery::Escalate | Delivery::Force));
            assert_eq!(runs.load(Ordering::SeqCst), 1);
            assert_eq!(main_dies_by, Some(Signal::Terminate));
        });
    }

    #[test]
    fn model_watchdog_and_waiters_are_woken() {
        explore("watchdog and a waiter vs a signal's cleanup", None, || {
            let machine = Arc::new(Machine::new());
            let (runs, cleanup) = counter();
            let watchdog = {
                let machine = Arc::clone(&machine);
                // loom never times out: this only returns once the cleanup is done.
                thread::spawn(move || machine.overran(Duration::from_secs(3600)))
            };
            let waiter = {
                let machine = Arc::clone(&machine);
                thread::spawn(move || machine.wait_done())
            };
            signal_thread(&machine, Signal::Hangup, 0, cleanup());
            assert_eq!(watchdog.join().unwrap(), None);
            assert_eq!(waiter.join().unwrap(), Reason::Signal(Signal::Hangup));
            assert_eq!(runs.load(Ordering::SeqCst), 1);
        });
    }

    #[test]
    fn model_a_cleanup_calling_exit_does_not_wait_for_itself() {
        explore("a cleanup calling exit", None, || {
            let machine = Arc::new(Machine::new());
            let inner = Arc::clone(&machine);
            let outcome = machine.conclude(Reason::Returned, false, move |_| {
                // `exit` inside the cleanup reaches the exit hook on the same thread.
                assert_eq!(
                    inner.conclude(Reason::Exited, true, |_| unreachable!()),
                    None
                );
            });
            assert_eq!(outcome, None);
        });
    }
}
