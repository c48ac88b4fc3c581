//! State that belongs to one process of the program: the runtime, and what the guardian module
//! has armed. A child made by `fork` inherits a copy of its parent's memory but not the
//! parent's threads, and the copy's locks may be held by threads that do not exist in it, so
//! it never uses its parent's value: it sees none, and makes its own if it needs one.
//!
//! One mechanism for all of it: each value is published tagged with the process that made it
//! (`sys::process()`: the process id and the number of forks before it, kept current by the
//! runtime's one fork handler), and is this process's only if the tag is this process.

use crate::sys::{self, Published};

/// A value of one process, made once per process (see the module's documentation).
pub(crate) struct PerProcess<T: 'static> {
    slot: Published<Tagged<T>>,
}

struct Tagged<T> {
    process: u64,
    value: T,
}

/// This process, as [`PerProcess`] tags values: what a value made now is tagged with. A
/// child made without `fork`, one a signal reaches before its fork handler ran, or one in a
/// new PID namespace never passes for its parent (see `sys::process_verified`: on Linux a
/// page the kernel wipes in every child, elsewhere one `getpid`).
pub(crate) fn this_process() -> u64 {
    sys::process_verified()
}

impl<T: Sync + 'static> PerProcess<T> {
    pub(crate) const fn new() -> PerProcess<T> {
        PerProcess {
            slot: Published::empty(),
        }
    }

    /// This process's value, if it has made one. Async-signal-safe (atomic loads, and
    /// `getpid` where there is no wiped page).
    pub(crate) fn get(&self) -> Option<&'static T> {
        self.owned_by(this_process())
    }

    /// [`Self::get`] without asking the kernel (no system call, for a hot loop that only
    /// reads): where there is no wiped page it trusts the fork handler, so a child made
    /// without `fork` may see its parent's.
    pub(crate) fn get_cached(&self) -> Option<&'static T> {
        self.owned_by(sys::process())
    }

    fn owned_by(&self, process: u64) -> Option<&'static T> {
        self.slot
            .get()
            .filter(|tagged| tagged.process == process)
            .map(|tagged| &tagged.value)
    }

    /// The last value made by any process of the program: in a forked child without a value
    /// of its own, its parent's (to read plain settings from, never to lock).
    pub(crate) fn inherited(&self) -> Option<&'static T> {
        self.slot.get().map(|tagged| &tagged.value)
    }

    /// Publishes `value` as this process's. The caller makes sure no other thread of this
    /// process publishes one meanwhile (the driver holds its install lock).
    pub(crate) fn publish(&self, value: T) -> &'static T {
        let tagged = Box::leak(Box::new(Tagged {
            process: this_process(),
            value,
        }));
        self.slot.publish(tagged);
        &tagged.value
    }

    /// This process's value, made by `make` if it has none yet. If two threads make one at
    /// once, one value wins and the other is never used (a few bytes, once).
    pub(crate) fn get_or_make(&self, make: impl Fn() -> T) -> &'static T {
        loop {
            let current = self.slot.get();
            let process = this_process();
            if let Some(tagged) = current.filter(|tagged| tagged.process == process) {
                return &tagged.value;
            }
            let fresh = Box::leak(Box::new(Tagged {
                process,
                value: make(),
            }));
            if self.slot.publish_over(current, fresh) {
                return &fresh.value;
            }
        }
    }
}
