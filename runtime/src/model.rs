//! Model checking with loom: every interleaving of the ending path's triggers is explored, on
//! the real `Runtime` (its state machine, registry and waiters built on loom's primitives).
//!
//! ```text
//! RUSTFLAGS="--cfg on_exit_loom" cargo test -p on-exit-runtime --lib --release model
//! ```
//!
//! Each model asserts that every cleanup runs exactly once, that every thread finishes (loom
//! reports a deadlock or a lost wake-up as a thread that never does), and what each delivery
//! of a signal was told. `ON_EXIT_LOOM_PREEMPTIONS` bounds the preemptions of the largest
//! models (default 3; unset the bound with `none`).

use std::sync::atomic::{AtomicUsize as Count, Ordering as CountOrdering};
use std::task::{Wake, Waker};
use std::time::Duration;

use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::Arc;
use loom::thread;

use crate::handoff::{Handoff, Seen};
use crate::registry::{Added, Boxed};
use crate::runtime::test_host::OneThread as Thread;
use crate::runtime::{Host, Runtime, Settings};
use crate::state::Delivery;
use crate::sync::Ordering;
use crate::{Reason, Signal};

const SECOND: u64 = 1_000_000_000;

/// Explores every interleaving of `model` (up to `preemptions` preemptions, if given) and
/// prints how many there were.
fn explore(name: &str, preemptions: Option<usize>, model: impl Fn() + Sync + Send + 'static) {
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

/// The bound for the largest models.
fn bounded() -> Option<usize> {
    match std::env::var("ON_EXIT_LOOM_PREEMPTIONS").as_deref() {
        Ok("none") => None,
        Ok(n) => n.parse().ok(),
        Err(_) => Some(3),
    }
}

fn runtime(graceful: bool) -> Arc<Runtime> {
    let settings = Settings {
        signals: &[],
        timeout: None,
        graceful,
    };
    Arc::new(Runtime::new(settings))
}

/// A cleanup that counts its runs.
fn counted(runs: &Arc<AtomicUsize>) -> Boxed {
    let runs = Arc::clone(runs);
    Box::new(move |_| {
        runs.fetch_add(1, Ordering::SeqCst);
    })
}

fn register(runtime: &Runtime, cleanup: Boxed) {
    match runtime.register(cleanup) {
        Added::Queued(_) => {}
        Added::Late(cleanup, reason) => {
            Thread::default().run(cleanup, reason);
        }
    }
}

/// A signal handler and then the signal thread: the delivery, and the cleanup if it was the
/// first request.
fn signal_thread(runtime: &Runtime, signal: Signal, now: u64) -> Delivery {
    let delivery = runtime.deliver(signal, now);
    if delivery == Delivery::Start {
        runtime.wake_waiters();
        assert_eq!(
            runtime.conclude(Reason::Signal(signal), &Thread::default()),
            Some(signal)
        );
    }
    delivery
}

fn spawn<T: 'static>(f: impl FnOnce() -> T + 'static) -> thread::JoinHandle<T> {
    thread::spawn(f)
}

fn sorted(mut told: [Delivery; 2]) -> [Delivery; 2] {
    told.sort_by_key(|delivery| *delivery as u8);
    told
}

#[test]
fn model_the_same_signal_on_two_threads_is_one_request() {
    explore("the same signal on two threads", None, || {
        let runtime = runtime(false);
        let runs = Arc::new(AtomicUsize::new(0));
        register(&runtime, counted(&runs));
        let other = {
            let runtime = Arc::clone(&runtime);
            spawn(move || runtime.deliver(Signal::Terminate, SECOND))
        };
        let here = runtime.deliver(Signal::Terminate, SECOND);
        let told = sorted([here, other.join().unwrap()]);
        assert_eq!(told, [Delivery::Start, Delivery::Repeat]);
    });
}

#[test]
fn model_a_mixed_burst_is_one_request() {
    explore(
        "Ctrl-C and a forwarded SIGTERM on two threads",
        None,
        || {
            let runtime = runtime(false);
            let runs = Arc::new(AtomicUsize::new(0));
            register(&runtime, counted(&runs));
            let forwarded = {
                let runtime = Arc::clone(&runtime);
                spawn(move || signal_thread(&runtime, Signal::Terminate, SECOND + 5_000_000))
            };
            let typed = signal_thread(&runtime, Signal::Interrupt, SECOND);
            let told = sorted([typed, forwarded.join().unwrap()]);
            assert_eq!(told, [Delivery::Start, Delivery::Repeat]);
            assert_eq!(runs.load(Ordering::SeqCst), 1);
        },
    );
}

#[test]
fn model_a_separate_request_during_the_cleanup_forces() {
    explore("a separate request while the cleanup runs", None, || {
        let runtime = runtime(false);
        let runs = Arc::new(AtomicUsize::new(0));
        register(&runtime, counted(&runs));
        assert_eq!(runtime.deliver(Signal::Interrupt, SECOND), Delivery::Start);
        let signal_thread = {
            let runtime = Arc::clone(&runtime);
            spawn(move || runtime.conclude(Reason::Signal(Signal::Interrupt), &Thread::default()))
        };
        // A second later, a different signal: whatever the cleanup is doing, it forces.
        assert_eq!(
            runtime.deliver(Signal::Terminate, 2 * SECOND),
            Delivery::Force
        );
        assert_eq!(signal_thread.join().unwrap(), Some(Signal::Interrupt));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn model_main_ending_races_a_signal() {
    for ending in [Reason::Returned, Reason::Panicked, Reason::Exited] {
        explore(&format!("{ending:?} vs a signal"), None, move || {
            let runtime = runtime(false);
            let runs = Arc::new(AtomicUsize::new(0));
            register(&runtime, counted(&runs));
            let signal = {
                let runtime = Arc::clone(&runtime);
                spawn(move || signal_thread(&runtime, Signal::Terminate, SECOND))
            };
            let main_dies_by = runtime.conclude(ending, &Thread::default());
            assert_eq!(signal.join().unwrap(), Delivery::Start);
            assert_eq!(runs.load(Ordering::SeqCst), 1);
            assert!(matches!(main_dies_by, None | Some(Signal::Terminate)));
        });
    }
}

#[test]
fn model_return_exit_on_two_threads_and_a_signal() {
    explore("return, exit on two threads, a signal", bounded(), || {
        let runtime = runtime(false);
        let runs = Arc::new(AtomicUsize::new(0));
        register(&runtime, counted(&runs));
        let exits: Vec<_> = (0..2)
            .map(|_| {
                let runtime = Arc::clone(&runtime);
                spawn(move || runtime.conclude(Reason::Exited, &Thread::default()))
            })
            .collect();
        let signal = {
            let runtime = Arc::clone(&runtime);
            spawn(move || signal_thread(&runtime, Signal::Interrupt, SECOND))
        };
        runtime.conclude(Reason::Returned, &Thread::default());
        for exit in exits {
            exit.join().unwrap();
        }
        signal.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn model_a_late_registration_runs_exactly_once() {
    explore("a registration while a signal's cleanups run", None, || {
        let runtime = runtime(false);
        let (first, late) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        register(&runtime, counted(&first));
        let registrar = {
            let runtime = Arc::clone(&runtime);
            let late = Arc::clone(&late);
            spawn(move || register(&runtime, counted(&late)))
        };
        signal_thread(&runtime, Signal::Terminate, SECOND);
        registrar.join().unwrap();
        // Queued in time and run by the signal thread, or handed back and run at once.
        assert_eq!(first.load(Ordering::SeqCst), 1);
        assert_eq!(late.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn model_a_cleanup_that_exits_still_runs_the_rest() {
    explore("a cleanup calling exit, and a signal", bounded(), || {
        let runtime = runtime(false);
        let (attribute, exiting) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        register(&runtime, counted(&attribute));
        {
            let inner = Arc::clone(&runtime);
            let exiting = Arc::clone(&exiting);
            // Registered last, so it runs first; its `exit` reaches the hook on its own thread.
            register(
                &runtime,
                Box::new(move |_| {
                    exiting.fetch_add(1, Ordering::SeqCst);
                    let host = Thread::default();
                    host.in_cleanup.set(true);
                    inner.conclude(Reason::Exited, &host);
                }),
            );
        }
        let signal = {
            let runtime = Arc::clone(&runtime);
            spawn(move || signal_thread(&runtime, Signal::Terminate, SECOND))
        };
        runtime.conclude(Reason::Returned, &Thread::default());
        signal.join().unwrap();
        assert_eq!(exiting.load(Ordering::SeqCst), 1);
        assert_eq!(attribute.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn model_graceful_second_request_races_main_returning() {
    explore("graceful: second request vs main returning", None, || {
        let runtime = runtime(true);
        let runs = Arc::new(AtomicUsize::new(0));
        register(&runtime, counted(&runs));
        assert_eq!(runtime.deliver(Signal::Terminate, 0), Delivery::Start);
        let second = {
            let runtime = Arc::clone(&runtime);
            spawn(move || {
                let told = runtime.deliver(Signal::Terminate, SECOND);
                if told == Delivery::Escalate {
                    // The signal thread stops waiting for main and starts the cleanup.
                    runtime.conclude(Reason::Signal(Signal::Terminate), &Thread::default());
                }
                told
            })
        };
        let main_dies_by = runtime.conclude(Reason::Returned, &Thread::default());
        let told = second.join().unwrap();
        // Escalate while the cleanup had not begun, Force once it had: never both.
        assert!(matches!(told, Delivery::Escalate | Delivery::Force));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(main_dies_by, Some(Signal::Terminate));
    });
}

/// A waker that records that it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn model_a_waiting_future_is_never_missed() {
    explore(
        "a Signalled future polled as the request comes",
        None,
        || {
            let runtime = runtime(true);
            let flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
            let poller = {
                let runtime = Arc::clone(&runtime);
                let flag = std::sync::Arc::clone(&flag);
                spawn(move || {
                    // `Signalled::poll`: check, store the waker, check again.
                    if runtime.request().is_some() {
                        return true;
                    }
                    let slot = runtime.park(None, &Waker::from(flag));
                    let ready = runtime.request().is_some();
                    if !ready {
                        return false;
                    }
                    runtime.leave(slot);
                    true
                })
            };
            assert_eq!(runtime.deliver(Signal::Interrupt, 0), Delivery::Start);
            runtime.wake_waiters();
            let ready = poller.join().unwrap();
            // Either the poll saw the request, or its waker was stored in time to be woken.
            assert!(ready || flag.0.load(Ordering::SeqCst));
        },
    );
}

#[test]
fn model_watchdog_and_waiters_are_woken() {
    explore("watchdog and a waiter vs a signal's cleanup", None, || {
        let runtime = runtime(false);
        let runs = Arc::new(AtomicUsize::new(0));
        register(&runtime, counted(&runs));
        let watchdog = {
            let runtime = Arc::clone(&runtime);
            // loom never times out: this only returns once the cleanup is done.
            spawn(move || runtime.machine.overran(Duration::from_secs(3600)))
        };
        let waiter = {
            let runtime = Arc::clone(&runtime);
            spawn(move || runtime.machine.wait_done())
        };
        signal_thread(&runtime, Signal::Hangup, SECOND);
        assert_eq!(watchdog.join().unwrap(), None);
        assert_eq!(waiter.join().unwrap(), Reason::Signal(Signal::Hangup));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

/// `exec`'s child, for the handoff models: never signalled.
const CHILD: i32 = 4242;

/// The bits of two signals, as `exec` numbers them.
const INTERRUPT: u64 = 1 << 2;
const TERMINATE: u64 = 1 << 15;

/// How many times the signal `bit` was dealt with, when `exec` publishes `pid` (0: it gave up,
/// and passes the kept signals to this process): by `exec` (the `taken` pending bits), or by
/// the handler (`seen`): as the running child's (`intercept` applies who sent it), passed on
/// to it, or as this process's own when there is no child. A kept signal is `exec`'s.
fn dealt_with(bit: u64, seen: &[Seen], taken: u64, pid: i32) -> usize {
    let by_handlers = seen
        .iter()
        .filter(|&&seen| match seen {
            Seen::Running(to) | Seen::PassOn(to) => to == pid,
            Seen::Own => pid == 0,
            Seen::Kept => false,
        })
        .count();
    by_handlers + usize::from(taken & bit != 0)
}

#[test]
fn model_a_signal_as_the_child_is_published_is_dealt_with_once() {
    for pid in [CHILD, 0] {
        let name = if pid == 0 {
            "exec gives up (no child) as a signal comes"
        } else {
            "exec publishes its child as a signal comes"
        };
        explore(name, None, move || {
            let handoff = Arc::new(Handoff::new());
            handoff.start();
            let handler = {
                let handoff = Arc::clone(&handoff);
                spawn(move || handoff.see(INTERRUPT))
            };
            let taken = handoff.publish(pid);
            let seen = handler.join().unwrap();
            assert_eq!(
                dealt_with(INTERRUPT, &[seen], taken, pid),
                1,
                "the handler saw {seen:?}, exec took {taken:#b}"
            );
        });
    }
}

#[test]
fn model_two_signals_as_the_child_is_published_are_each_dealt_with_once() {
    explore("exec publishes its child as two signals come", None, || {
        let handoff = Arc::new(Handoff::new());
        handoff.start();
        let handlers = [INTERRUPT, TERMINATE].map(|bit| {
            let handoff = Arc::clone(&handoff);
            spawn(move || handoff.see(bit))
        });
        let taken = handoff.publish(CHILD);
        let [interrupt, terminate] = handlers.map(|handler| handler.join().unwrap());
        assert_eq!(dealt_with(INTERRUPT, &[interrupt], taken, CHILD), 1);
        assert_eq!(dealt_with(TERMINATE, &[terminate], taken, CHILD), 1);
    });
}

#[test]
fn model_the_same_signal_twice_as_the_child_is_published_is_never_lost() {
    explore(
        "exec publishes its child as one signal comes twice",
        None,
        || {
            let handoff = Arc::new(Handoff::new());
            handoff.start();
            let handlers = [(); 2].map(|()| {
                let handoff = Arc::clone(&handoff);
                spawn(move || handoff.see(INTERRUPT))
            });
            let taken = handoff.publish(CHILD);
            let seen = handlers.map(|handler| handler.join().unwrap());
            // Two deliveries of one signal while it is pending may be one, as the kernel's are.
            let count = dealt_with(INTERRUPT, &seen, taken, CHILD);
            assert!(
                (1..=2).contains(&count),
                "dealt with {count} times: {seen:?}, {taken:#b}"
            );
        },
    );
}
