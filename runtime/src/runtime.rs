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
    fn run(&self, cleanup: Boxed, reason: Reason);
    /// Whether this thread is inside a cleanup: a cleanup that calls `exit` reaches the exit
    /// hook on its own thread.
    fn in_cleanup(&self) -> bool;
    /// A number for the current thread.
    fn thread(&self) -> u64;
    /// Whether `thread`, which was running a cleanup, is parked for ever inside `exit`: it
    /// called `exit` while another thread was already exiting.
    fn parked_in_exit(&self, thread: u64) -> bool;
    /// Starts [`Runtime::run_queued`] on a thread of its own and says whether it did. The
    /// exit hook does: a cleanup that calls `exit` on the exiting thread itself would abort
    /// (std forbids a re-entrant `exit`), on another thread it is only parked.
    fn hand_off(&self, reason: Reason) -> bool;
}

/// How often a thread waiting for another's cleanup asks whether that thread got stuck.
const STUCK_POLL: Duration = Duration::from_millis(20);

/// What [`Runtime::register`] did with a cleanup.
pub(crate) enum Registered {
    Queued(Id),
    /// The cleanups already started: run this one now, on this thread, for this reason.
    RunNow(Boxed, Reason),
}

pub(crate) struct Runtime {
    pub(crate) machine: Machine,
    cleanups: Registry,
    waiters: Waiters,
    pub(crate) settings: Settings,
    /// The process this runtime belongs to: a forked child has a copy that is not its own.
    pub(crate) pid: u32,
    /// [`Host::thread`] of the thread that runs the cleanups, 0 before they start.
    runner: AtomicU64,
}

impl Runtime {
    pub(crate) fn new(settings: Settings, pid: u32) -> Runtime {
        let machine = Machine::new();
        if settings.graceful {
            machine.set_graceful();
        }
        Runtime {
            machine,
            cleanups: Registry::new(),
            waiters: Waiters::new(),
            settings,
            pid,
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

    pub(crate) fn register(&self, cleanup: Boxed) -> Registered {
        match self.cleanups.add(cleanup) {
            Added::Queued(id) => Registered::Queued(id),
            Added::Late(cleanup, reason) => Registered::RunNow(cleanup, reason),
        }
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
            Begin::Running(running) if host.in_cleanup() => self.run_queued(running, host),
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
    pub(crate) fn run_queued(&self, reason: Reason, host: &impl Host) {
        self.runner.store(host.thread(), Ordering::Release);
        self.cleanups.close(reason);
        while let Some(cleanup) = self.cleanups.pop() {
            host.run(cleanup, reason);
        }
        self.machine.finish();
    }
}
