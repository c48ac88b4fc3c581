//! The handoff between [`exec`](crate::exec) and the signal handlers: the child's number,
//! and the signals that came while it was being started, which `exec` passes on once it
//! runs. Atomics only (the handlers use it), and free of any operating system, so that loom
//! explores every interleaving of a signal with the child's publication (`model.rs`).

use crate::sync::{AtomicI32, AtomicU64, Ordering};

/// [`Handoff::child`] while the child is being started.
const STARTING: i32 = -1;

/// What a signal handler found, for a signal that came while `exec` runs a child or starts
/// one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// There is no child, and none is being started: the signal is this process's own.
    Own,
    /// Kept for `exec`, which passes it on once the child runs (or, if none started, to this
    /// process).
    Kept,
    /// The child runs: its number. Whether to pass the signal on depends on who sent it.
    Running(i32),
    /// Kept while the child was being started, then taken back by the handler once `exec`
    /// had published the child (its number): pass it on, whoever sent it, as `exec` would
    /// have (the child may have started after the terminal sent it to the group).
    PassOn(i32),
}

/// The child of `exec`, as the signal handlers see it.
#[derive(Debug)]
pub(crate) struct Handoff {
    /// 0 when there is none, [`STARTING`] while it is being started, then its pid until it
    /// has ended.
    child: AtomicI32,
    /// The signals that came while the child was being started, one bit each.
    pending: AtomicU64,
}

impl Handoff {
    /// No child.
    #[cfg(not(all(test, on_exit_loom)))]
    pub(crate) const fn new() -> Handoff {
        Handoff {
            child: AtomicI32::new(0),
            pending: AtomicU64::new(0),
        }
    }

    /// No child (loom's atomics cannot be made in a `const fn`).
    #[cfg(all(test, on_exit_loom))]
    pub(crate) fn new() -> Handoff {
        Handoff {
            child: AtomicI32::new(0),
            pending: AtomicU64::new(0),
        }
    }

    /// A child is being started: from now on, the signals wait for it.
    pub(crate) fn start(&self) {
        self.child.store(STARTING, Ordering::Release);
    }

    /// Publishes the child's number (0: none started), and takes the signals that came while
    /// it was being started, one bit each. A signal [`Handoff::see`] kept is in them, or is
    /// passed on by the handler itself ([`Seen::PassOn`], or [`Seen::Own`] with no child):
    /// never both, never neither.
    pub(crate) fn publish(&self, pid: i32) -> u64 {
        self.child.store(pid, Ordering::Release);
        self.pending.swap(0, Ordering::AcqRel)
    }

    /// The child has ended: the signals are this process's own again.
    pub(crate) fn end(&self) {
        self.child.store(0, Ordering::Release);
    }

    /// Whether a child runs or is being started.
    pub(crate) fn has_child(&self) -> bool {
        self.child.load(Ordering::Acquire) != 0
    }

    /// In a signal handler: what to do with the signal whose bit is `bit`.
    pub(crate) fn see(&self, bit: u64) -> Seen {
        match self.child.load(Ordering::Acquire) {
            0 => Seen::Own,
            STARTING => self.while_starting(bit),
            pid => Seen::Running(pid),
        }
    }

    /// [`Handoff::see`] while the child is being started: whether it exists yet is unknown,
    /// so the signal waits in `pending`. Unless `exec` published the child (or gave up)
    /// meanwhile, and may have taken the pending signals already: then whichever of the two
    /// takes the bit back passes the signal on.
    fn while_starting(&self, bit: u64) -> Seen {
        self.pending.fetch_or(bit, Ordering::AcqRel);
        let now = self.child.load(Ordering::Acquire);
        if now == STARTING || self.pending.fetch_and(!bit, Ordering::AcqRel) & bit == 0 {
            return Seen::Kept;
        }
        match now {
            0 => Seen::Own,
            pid => Seen::PassOn(pid),
        }
    }
}

#[cfg(all(test, not(on_exit_loom)))]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use std::thread;

    use super::*;

    /// A signal that came while the child was being started, in a handler that is still
    /// deciding as `exec` publishes the child, is passed on exactly once, by the handler or
    /// with the pending ones `exec` takes, on real threads and a real memory model
    /// (loom explores every interleaving: `model.rs`). Each round starts the two together,
    /// spinning, so that they overlap.
    #[test]
    #[cfg_attr(miri, ignore)] // a race over 100,000 threads, and no unsafe code
    fn a_signal_as_the_child_is_published_is_passed_on_exactly_once() {
        // Only compared, never signalled.
        const PID: i32 = i32::MAX;
        const BIT: u64 = 1 << 2;
        let rounds = std::env::var("ON_EXIT_EXEC_RACE_ROUNDS")
            .ok()
            .and_then(|rounds| rounds.parse().ok())
            .unwrap_or(100_000);
        let handoff = Arc::new(Handoff::new());
        for _ in 0..rounds {
            handoff.start();
            let go = Arc::new(AtomicBool::new(false));
            let publisher = thread::spawn({
                let go = Arc::clone(&go);
                let handoff = Arc::clone(&handoff);
                move || {
                    while !go.load(Ordering::Acquire) {}
                    handoff.publish(PID) & BIT != 0
                }
            });
            go.store(true, Ordering::Release);
            // The handler has seen the child being started.
            let by_handler = handoff.while_starting(BIT) == Seen::PassOn(PID);
            let by_exec = publisher.join().expect("the publishing thread");
            assert!(
                by_handler != by_exec,
                "passed on by the handler: {by_handler}, by exec: {by_exec}"
            );
            handoff.end();
        }
    }
}
