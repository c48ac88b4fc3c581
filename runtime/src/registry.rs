//! The list of cleanups: the attribute's handler first, then every `register` call. They run
//! in reverse order of registration, like `atexit` and Go's `defer`, each at most once.
//!
//! The registrations in order, each with its serial number. Taking one back (a `scoped` guard
//! dropped or cancelled) leaves a hole; holes at the end are trimmed at once, and when the
//! holes outnumber the cleanups still waiting, the list is compacted. So whatever order the
//! guards are dropped in, the list holds at most twice the waiting cleanups plus one, and its
//! capacity stays within a constant factor of that. Adding and popping are amortised constant
//! time; so is taking back, but for an entry a compaction moved, which is found by binary
//! search on its serial (logarithmic in the waiting cleanups).

use std::sync::{PoisonError, TryLockError};

use crate::sync::{Mutex, MutexGuard};
use crate::Reason;

/// A cleanup, boxed: what every handler form becomes.
pub(crate) type Boxed = Box<dyn FnOnce(Reason) + Send + 'static>;

/// Identifies a registration, for a scoped cleanup to take its own back: the slot it was put
/// in, and its serial number, which no other registration has. A compaction moves entries
/// toward the front only, so the entry is at `slot` or before it; an id whose registration
/// already ran or was taken back matches nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Id {
    slot: usize,
    serial: u64,
}

pub(crate) struct Registry {
    list: Mutex<List>,
}

struct List {
    /// Registrations in order (so by serial), `None` where one was taken back; never a `None`
    /// last.
    slots: Vec<(u64, Option<Boxed>)>,
    /// How many `None`s `slots` holds.
    holes: usize,
    next_serial: u64,
    /// Set when the cleanups start running: later registrations run at once.
    closed: Option<Reason>,
}

/// The capacity below which the list is never shrunk.
const MIN_CAPACITY: usize = 8;

impl List {
    /// How many cleanups wait.
    fn live(&self) -> usize {
        self.slots.len() - self.holes
    }

    /// Where the registration `id` is, if it still waits.
    fn find(&self, id: Id) -> Option<usize> {
        match self.slots.get(id.slot) {
            // Not moved since it was added: the common case.
            Some((serial, Some(_))) if *serial == id.serial => Some(id.slot),
            _ => {
                let before = &self.slots[..id.slot.min(self.slots.len())];
                let index = before
                    .binary_search_by_key(&id.serial, |(serial, _)| *serial)
                    .ok()?;
                before[index].1.is_some().then_some(index)
            }
        }
    }

    /// Restores the bounds after a removal: no hole last, no more holes than waiting
    /// cleanups, a capacity within four times the length. Each hole is trimmed or compacted
    /// away once, and a compaction follows at least as many removals as it moves entries:
    /// amortised constant time.
    fn settle(&mut self) {
        while let Some((_, None)) = self.slots.last() {
            self.slots.pop();
            self.holes -= 1;
        }
        if self.holes > self.live() {
            self.slots.retain(|(_, cleanup)| cleanup.is_some());
            self.holes = 0;
        }
        let len = self.slots.len().max(MIN_CAPACITY);
        if self.slots.capacity() > 4 * len {
            self.slots.shrink_to(2 * len);
        }
    }
}

/// What [`Registry::add`] did.
pub(crate) enum Added {
    /// Queued; it runs with the others.
    Queued(Id),
    /// The cleanups already started, for this reason: the caller must run it now.
    Late(Boxed, Reason),
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry {
            list: Mutex::new(List {
                slots: Vec::new(),
                holes: 0,
                next_serial: 0,
                closed: None,
            }),
        }
    }

    pub(crate) fn add(&self, cleanup: Boxed) -> Added {
        let mut list = self.lock();
        if let Some(reason) = list.closed {
            return Added::Late(cleanup, reason);
        }
        let serial = list.next_serial;
        list.next_serial += 1;
        let slot = list.slots.len();
        list.slots.push((serial, Some(cleanup)));
        Added::Queued(Id { slot, serial })
    }

    /// Takes back the cleanup registered as `id`, if it has not run (or started) yet.
    pub(crate) fn remove(&self, id: Id) -> Option<Boxed> {
        let mut list = self.lock();
        let index = list.find(id)?;
        let cleanup = list.slots[index].1.take();
        list.holes += 1;
        list.settle();
        cleanup
    }

    /// Closes the list for `reason`: from now on [`Registry::add`] answers `Late`. `alone`:
    /// see [`Registry::pop`].
    pub(crate) fn close(&self, reason: Reason, alone: bool) {
        if let Some(mut list) = self.lock_unless_abandoned(alone) {
            list.closed.get_or_insert(reason);
        }
    }

    /// The most recently registered cleanup still waiting. `alone`: the process's other
    /// threads are gone (Windows, inside a cleanup's `ExitProcess`), so a lock one of them
    /// held is never released: then `None`, as if none were waiting.
    pub(crate) fn pop(&self, alone: bool) -> Option<Boxed> {
        let mut list = self.lock_unless_abandoned(alone)?;
        // Never a hole last: the last entry is the newest waiting cleanup.
        let (_, cleanup) = list.slots.pop()?;
        list.settle();
        cleanup
    }

    /// How many cleanups wait.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().live()
    }

    fn lock(&self) -> MutexGuard<'_, List> {
        // The list is consistent after every statement: a panic elsewhere cannot break it.
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// [`Registry::lock`], or `None` when `alone` and another thread holds it (a thread that
    /// is gone: it will never let go).
    fn lock_unless_abandoned(&self, alone: bool) -> Option<MutexGuard<'_, List>> {
        if !alone {
            return Some(self.lock());
        }
        match self.list.try_lock() {
            Ok(list) => Some(list),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }
}

#[cfg(all(test, not(on_exit_loom)))]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn recorder(log: &Arc<Mutex<Vec<&'static str>>>, name: &'static str) -> Boxed {
        let log = Arc::clone(log);
        Box::new(move |_| log.lock().unwrap().push(name))
    }

    #[test]
    fn runs_in_reverse_order_of_registration() {
        let registry = Registry::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        for name in ["attribute", "first", "second"] {
            assert!(matches!(
                registry.add(recorder(&log, name)),
                Added::Queued(_)
            ));
        }
        registry.close(Reason::Returned, false);
        while let Some(cleanup) = registry.pop(false) {
            cleanup(Reason::Returned);
        }
        assert_eq!(*log.lock().unwrap(), ["second", "first", "attribute"]);
    }

    #[test]
    fn removed_cleanups_do_not_run_and_late_ones_are_handed_back() {
        let registry = Registry::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let Added::Queued(id) = registry.add(recorder(&log, "scoped")) else {
            panic!("queued")
        };
        assert!(registry.remove(id).is_some());
        assert!(registry.remove(id).is_none());
        registry.close(Reason::Exited, false);
        assert!(registry.pop(false).is_none());
        match registry.add(recorder(&log, "late")) {
            Added::Late(cleanup, reason) => {
                assert_eq!(reason, Reason::Exited);
                cleanup(reason);
            }
            Added::Queued(_) => panic!("the list is closed"),
        }
        assert_eq!(*log.lock().unwrap(), ["late"]);
    }

    #[test]
    fn taking_back_is_constant_time_in_either_order() {
        // 100,000 scoped guards dropped newest first, then oldest first: quadratic before.
        let registry = Registry::new();
        for newest_first in [true, false] {
            let count = if cfg!(miri) { 1_000 } else { 100_000 };
            let mut ids: Vec<Id> = (0..count)
                .map(|_| match registry.add(Box::new(|_| {})) {
                    Added::Queued(id) => id,
                    Added::Late(..) => panic!("open"),
                })
                .collect();
            if newest_first {
                ids.reverse();
            }
            for id in ids {
                assert!(registry.remove(id).is_some());
            }
            assert_eq!(registry.len(), 0);
            assert_eq!(registry.lock().slots.len(), 0, "emptied slots are trimmed");
        }
    }

    fn queued(registry: &Registry, cleanup: Boxed) -> Id {
        match registry.add(cleanup) {
            Added::Queued(id) => id,
            Added::Late(..) => panic!("open"),
        }
    }

    /// How long the list is and what it has allocated, against the cleanups waiting.
    fn footprint(registry: &Registry) -> (usize, usize, usize) {
        let list = registry.lock();
        let live = list.slots.iter().filter(|(_, c)| c.is_some()).count();
        (live, list.slots.len(), list.slots.capacity())
    }

    #[test]
    fn overlapping_lifetimes_keep_the_list_bounded() {
        // One scoped guard per request, each made before the previous one is dropped: before,
        // every slot stayed (a million here), and `pop` walked them all.
        let count = if cfg!(miri) { 1_000 } else { 1_000_000 };
        let registry = Registry::new();
        let mut previous = queued(&registry, Box::new(|_| {}));
        for _ in 0..count {
            let next = queued(&registry, Box::new(|_| {}));
            assert!(registry.remove(previous).is_some());
            previous = next;
            let (live, len, capacity) = footprint(&registry);
            assert_eq!(live, 1);
            assert!(len <= 3, "{len} slots for one live cleanup");
            assert!(
                capacity <= 4 * MIN_CAPACITY,
                "capacity {capacity} for one cleanup"
            );
        }
        assert!(registry.pop(false).is_some());
        assert!(registry.pop(false).is_none());
    }

    #[test]
    fn a_list_held_by_a_thread_that_is_gone_is_not_waited_for() {
        // As after a cleanup's `ExitProcess` (Windows) ended a thread inside `add`: alone,
        // the list reads as empty instead of waiting for ever; its lock free, it reads again.
        let registry = Registry::new();
        let _ = queued(&registry, Box::new(|_| ()));
        let held = registry.lock();
        registry.close(Reason::Exited, true);
        assert!(registry.pop(true).is_none());
        drop(held);
        assert!(registry.pop(true).is_some());
        assert!(registry.pop(true).is_none());
    }

    #[test]
    fn any_drop_order_keeps_the_list_within_twice_the_live_and_takes_back_the_right_one() {
        // A window of live guards dropped in a pseudo-random order, with compactions moving
        // the entries under their ids; then the survivors run newest first.
        let log = Arc::new(Mutex::new(Vec::new()));
        let registry = Registry::new();
        let mut live: Vec<(usize, Id)> = Vec::new();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let steps = if cfg!(miri) { 600 } else { 200_000 };
        for number in 0..steps {
            let recorded = Arc::clone(&log);
            let id = queued(
                &registry,
                Box::new(move |_| recorded.lock().unwrap().push(number)),
            );
            live.push((number, id));
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Grows to about 64 live, then holds there.
            let window = 1 + usize::try_from(seed % 128).unwrap();
            while live.len() > window {
                let (expected, id) =
                    live.swap_remove(usize::try_from(seed % live.len() as u64).unwrap());
                seed = seed.rotate_left(7);
                registry.remove(id).expect("waiting")(Reason::Returned);
                assert_eq!(
                    log.lock().unwrap().pop(),
                    Some(expected),
                    "the right cleanup"
                );
                assert!(registry.remove(id).is_none(), "an id takes back once");
                let (waiting, len, capacity) = footprint(&registry);
                assert_eq!(waiting, live.len());
                assert!(len <= 2 * waiting + 1, "{len} slots for {waiting} cleanups");
                assert!(
                    capacity <= 4 * (2 * waiting + 1).max(MIN_CAPACITY),
                    "capacity {capacity} for {waiting} cleanups"
                );
            }
        }
        registry.close(Reason::Returned, false);
        while let Some(cleanup) = registry.pop(false) {
            cleanup(Reason::Returned);
        }
        let mut expected: Vec<usize> = live.iter().map(|(number, _)| *number).collect();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(*log.lock().unwrap(), expected, "newest first");
    }

    #[test]
    fn a_stale_id_never_takes_a_moved_or_reused_slot() {
        let registry = Registry::new();
        let first = queued(&registry, Box::new(|_| {}));
        let second = queued(&registry, Box::new(|_| {}));
        let third = queued(&registry, Box::new(|_| {}));
        assert!(registry.remove(first).is_some());
        assert!(registry.remove(second).is_some());
        // Compacted: the third moved into the first's slot.
        assert_eq!(footprint(&registry).1, 1);
        assert!(registry.remove(first).is_none());
        assert!(registry.remove(second).is_none());
        assert!(registry.remove(third).is_some());
        assert!(registry.remove(third).is_none());
    }

    #[test]
    fn a_stale_id_never_takes_a_reused_slot() {
        let registry = Registry::new();
        let Added::Queued(old) = registry.add(Box::new(|_| {})) else {
            panic!("queued")
        };
        assert!(registry.remove(old).is_some());
        let Added::Queued(new) = registry.add(Box::new(|_| {})) else {
            panic!("queued")
        };
        assert_eq!(new.slot, old.slot);
        assert!(registry.remove(old).is_none());
        assert!(registry.remove(new).is_some());
    }
}
