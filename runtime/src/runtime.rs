//! The runtime of one process as one value: the state machine, the registered cleanups, the
//! async waiters and the settings, with the whole ending path. No operating system in it:
//! what the ending needs from the process (running a cleanup, knowing the current thread,
//! asking whether a thread is stuck in `exit`) comes through [`Host`], so that loom can drive
//! all of it (`model.rs`). `driver.rs` keeps the one `Runtime` of the process and wires it to
//! the operating system.

use std::task::Waker;
use std::time::Duration;

use crate::registry::{Added, Boxed, Id, Registry};
use crate::state::{Begin, Delivery, Machine};
use crate::sync::{AtomicU64, Ordering};
use crate::waiters::{Slot, Waiters};
use crate::{Reason, Signal};

/// What the runtime is installed with: the attribute's or the builder's options.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    pub(crate) signals: &'static [Signal],
    pub(crate) timeout: Option<Duration>,
    pub(crate) graceful: bool,
}

/// What the ending path needs from the process around it.
pub(crate) trait Host {
    /// Runs one cleanup on this thread (catching a panic, marking the thread as in a cleanup).
    /// Whether this is still the process the cleanups belong to: `false` in a child that the
    /// cleanup forked and that returned from it, which must run no more of them.
    fn run(&self, cleanup: Boxed, reason: Reason) -> bool;
    /// Whether this thread is inside a cleanup: a cleanup that calls `exit` reaches the exit
    /// hook on its own thread.
    fn in_cleanup(&self) -> bool;
    /// A number for the current thread, unique among the threads alive.
    fn thread(&self) -> u64;
    /// Whether `thread`, which was running a cleanup, is parked for ever inside `exit`: it
    /// called `exit` while another thread was already exiting.
    fn parked_in_exit(&self, thread: u64) -> bool;
    /// Has [`Runtime::run_queued`] run on another thread (a new one, or the signal thread when
    /// none can be started) and says whether it will. The exit hook does: a cleanup that calls
    /// `exit` on the exiting thread itself would abort (std forbids a re-entrant `exit`), on
    /// another thread it is only parked.
    fn hand_off(&self, reason: Reason) -> bool;
    /// Whether every other thread of the process is gone (Windows, inside a cleanup's
    /// `ExitProcess`): a lock one of them held will never be released.
    fn others_gone(&self) -> bool {
        false
    }
}

/// The longest a thread waiting for another's cleanup goes without looking whether it is over,
/// or whether that thread got stuck.
const STUCK_POLL: Duration = Duration::from_millis(20);

pub(crate) struct Runtime {
    pub(crate) machine: Machine,
    cleanups: Registry,
    waiters: Waiters,
    pub(crate) settings: Settings,
    /// [`Host::thread`] of the thread that runs the cleanups, 0 before they start.
    runner: AtomicU64,
}

impl Runtime {
    pub(crate) fn new(settings: Settings) -> Runtime {
        let machine = Machine::new();
        if settings.graceful {
            machine.set_graceful();
        }
        Runtime {
            machine,
            cleanups: Registry::new(),
            waiters: Waiters::new(),
            settings,
            runner: AtomicU64::new(0),
        }
    }

    /// Records a delivery of `signal` (async-signal-safe: atomics only).
    pub(crate) fn deliver(&self, signal: Signal, now_ns: u64) -> Delivery {
        self.machine.deliver(signal, now_ns)
    }

    /// The first signal that asked the process to end, if one did.
    pub(crate) fn request(&self) -> Option<Signal> {
        self.machine.request()
    }

    /// Queues a cleanup, or hands it back to run at once if the cleanups already started.
    pub(crate) fn register(&self, cleanup: Boxed) -> Added {
        self.cleanups.add(cleanup)
    }

    /// Takes back a registered cleanup that has not started, for a scoped cleanup.
    pub(crate) fn unregister(&self, id: Id) -> Option<Boxed> {
        self.cleanups.remove(id)
    }

    /// Stores the waker of a pending `Signalled` future.
    pub(crate) fn park(&self, slot: Option<Slot>, waker: &Waker) -> Slot {
        self.waiters.park(slot, waker)
    }

    /// A `Signalled` future was dropped.
    pub(crate) fn leave(&self, slot: Slot) {
        self.waiters.leave(slot);
    }

    /// Wakes every pending `Signalled` future: the first request has come.
    pub(crate) fn wake_waiters(&self) {
        self.waiters.wake_all();
    }

    /// The one path every ending takes: runs the cleanups if nobody has, or waits for the ones
    /// already running. Returns the signal the process must then die by, if a signal asked it
    /// to end.
    ///
    /// - A cleanup that calls `exit` comes back here on its own thread ([`Host::in_cleanup`]):
    ///   the cleanups still queued run now, on this thread, and then that `exit` goes on.
    /// - A thread waiting for another's cleanup takes over the ones still queued if that
    ///   thread got parked inside `exit` ([`Host::parked_in_exit`]), instead of waiting for
    ///   ever.
    pub(crate) fn conclude(&self, reason: Reason, host: &impl Host) -> Option<Signal> {
        // Once a signal asked the process to end, it ends by that signal: tell the cleanup so.
        let reason = self.request().map_or(reason, Reason::Signal);
        match self.machine.begin(reason) {
            Begin::Run if host.hand_off(reason) => self.wait_or_take_over(reason, host),
            Begin::Run => self.run_queued(reason, host),
            // A cleanup that called `exit` on the thread running the cleanups (not a late one
            // run on another thread while they run: that one waits like any other).
            Begin::Running(running)
                if host.in_cleanup() && host.thread() == self.runner.load(Ordering::Acquire) =>
            {
                self.run_queued(running, host);
            }
            Begin::Running(running) => self.wait_or_take_over(running, host),
            Begin::Done(_) => {}
        }
        self.request()
    }

    /// Waits for the thread running the cleanups; runs the ones still queued if that thread
    /// got parked inside `exit`.
    fn wait_or_take_over(&self, reason: Reason, host: &impl Host) {
        let parked = || host.parked_in_exit(self.runner.load(Ordering::Acquire));
        if !self.machine.wait_done_or(STUCK_POLL, parked) {
            self.run_queued(reason, host);
        }
    }

    /// Runs every queued cleanup, newest first, then marks the cleanup phase over. Called by
    /// the winner of [`Machine::begin`], or on the thread it handed the run to.
    ///
    /// Where the other threads are gone and one of them held the list's lock (it was adding
    /// or taking back a cleanup), the ones still queued cannot be reached: they are skipped,
    /// and the process ends (never a hang).
    pub(crate) fn run_queued(&self, reason: Reason, host: &impl Host) {
        self.runner.store(host.thread(), Ordering::Release);
        let alone = host.others_gone();
        self.cleanups.close(reason, alone);
        while let Some(cleanup) = self.cleanups.pop(alone) {
            if !host.run(cleanup, reason) {
                return;
            }
        }
        self.machine.finish();
    }
}

/// The host of the tests and the loom models: each thread a view of its own, never parked
/// in `exit`, never handing the cleanups off.
#[cfg(test)]
pub(crate) mod test_host {
    use std::cell::Cell;

    use super::Host;
    use crate::registry::Boxed;
    use crate::Reason;

    #[derive(Default)]
    pub(crate) struct OneThread {
        pub(crate) in_cleanup: Cell<bool>,
    }

    impl Host for OneThread {
        fn run(&self, cleanup: Boxed, reason: Reason) -> bool {
            let outer = self.in_cleanup.replace(true);
            cleanup(reason);
            self.in_cleanup.set(outer);
            true
        }

        fn in_cleanup(&self) -> bool {
            self.in_cleanup.get()
        }

        fn thread(&self) -> u64 {
            1
        }

        fn parked_in_exit(&self, _thread: u64) -> bool {
            false
        }

        fn hand_off(&self, _reason: Reason) -> bool {
            false
        }
    }
}

#[cfg(all(test, not(on_exit_loom)))]
mod tests {
    use super::test_host::OneThread as Here;
    use super::*;
    use std::sync::{Arc, Mutex};

    fn runtime() -> Arc<Runtime> {
        let settings = Settings {
            signals: &[],
            timeout: None,
            graceful: false,
        };
        Arc::new(Runtime::new(settings))
    }

    fn logging(log: &Arc<Mutex<Vec<String>>>, name: &'static str) -> Boxed {
        let log = Arc::clone(log);
        Box::new(move |reason| log.lock().unwrap().push(format!("{name} {reason:?}")))
    }

    #[test]
    fn a_cleanup_that_exits_lets_the_rest_run_once() {
        let runtime = runtime();
        let log = Arc::new(Mutex::new(Vec::new()));
        let _ = runtime.register(logging(&log, "attribute"));
        let inner = Arc::clone(&runtime);
        let exits = Arc::clone(&log);
        let _ = runtime.register(Box::new(move |reason| {
            exits.lock().unwrap().push(format!("exits {reason:?}"));
            // Its `exit` reaches the exit hook on this same thread.
            let here = Here::default();
            here.in_cleanup.set(true);
            assert_eq!(inner.conclude(Reason::Exited, &here), None);
        }));
        assert_eq!(runtime.conclude(Reason::Returned, &Here::default()), None);
        assert_eq!(
            *log.lock().unwrap(),
            ["exits Returned", "attribute Returned"]
        );
    }

    #[test]
    fn after_a_signal_every_ending_reports_it_and_dies_by_it() {
        let runtime = runtime();
        let log = Arc::new(Mutex::new(Vec::new()));
        let _ = runtime.register(logging(&log, "cleanup"));
        assert_eq!(runtime.deliver(Signal::Terminate, 0), Delivery::Start);
        assert_eq!(
            runtime.conclude(Reason::Returned, &Here::default()),
            Some(Signal::Terminate)
        );
        // A registration after the run is handed back, with the reason.
        match runtime.register(logging(&log, "late")) {
            Added::Late(cleanup, reason) => cleanup(reason),
            Added::Queued(_) => panic!("the cleanups already ran"),
        }
        assert_eq!(
            *log.lock().unwrap(),
            ["cleanup Signal(Terminate)", "late Signal(Terminate)"]
        );
    }
}
