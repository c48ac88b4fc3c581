//! The list of cleanups: the attribute's handler first, then every `register` call. They run
//! in reverse order of registration, like `atexit` and Go's `defer`, each at most once.
//!
//! A slab: a registration's [`Id`] is its slot, so taking one back (a `scoped` guard dropped
//! or cancelled) is constant time, and emptied slots at the end are trimmed, so guards dropped
//! newest first leave nothing behind.

use std::sync::PoisonError;

use crate::sync::{Mutex, MutexGuard};
use crate::Reason;

/// A cleanup, boxed: what every handler form becomes.
pub(crate) type Boxed = Box<dyn FnOnce(Reason) + Send + 'static>;

/// Identifies a registration, for a scoped cleanup to take its own back: the slot, and the
/// serial number of the registration that filled it (a slot is reused once trimmed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Id {
    slot: usize,
    serial: u64,
}

pub(crate) struct Registry {
    list: Mutex<List>,
}

struct List {
    /// Registrations in order; `None` where one was taken back.
    slots: Vec<Option<(u64, Boxed)>>,
    next_serial: u64,
    /// Set when the cleanups start running: later registrations run at once.
    closed: Option<Reason>,
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
        list.slots.push(Some((serial, cleanup)));
        Added::Queued(Id { slot, serial })
    }

    /// Takes back the cleanup registered as `id`, if it has not run (or started) yet.
    pub(crate) fn remove(&self, id: Id) -> Option<Boxed> {
        let mut list = self.lock();
        let entry = list.slots.get_mut(id.slot)?;
        if entry.as_ref().map(|(serial, _)| *serial) != Some(id.serial) {
            return None;
        }
        let (_, cleanup) = entry.take()?;
        // Each slot is trimmed once: amortised constant time.
        while list.slots.last().is_some_and(Option::is_none) {
            list.slots.pop();
        }
        Some(cleanup)
    }

    /// Closes the list for `reason`: from now on [`Registry::add`] answers `Late`.
    pub(crate) fn close(&self, reason: Reason) {
        self.lock().closed.get_or_insert(reason);
    }

    /// The most recently registered cleanup still waiting.
    pub(crate) fn pop(&self) -> Option<Boxed> {
        let mut list = self.lock();
        while let Some(entry) = list.slots.pop() {
            if let Some((_, cleanup)) = entry {
                return Some(cleanup);
            }
        }
        None
    }

    /// How many cleanups wait.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().slots.iter().flatten().count()
    }

    fn lock(&self) -> MutexGuard<'_, List> {
        // The list is consistent after every statement: a panic elsewhere cannot break it.
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
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
        registry.close(Reason::Returned);
        while let Some(cleanup) = registry.pop() {
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
        registry.close(Reason::Exited);
        assert!(registry.pop().is_none());
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
