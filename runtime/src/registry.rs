//! The list of cleanups: the attribute's handler first, then every `register` call. They run
//! in reverse order of registration, like `atexit` and Go's `defer`, each at most once.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::Reason;

/// A cleanup, boxed: what every handler form becomes.
pub(crate) type Boxed = Box<dyn FnOnce(Reason) + Send + 'static>;

/// Identifies a registration, for a scoped cleanup to take its own back.
pub(crate) type Id = u64;

pub(crate) struct Registry {
    list: Mutex<List>,
}

struct List {
    entries: Vec<(Id, Boxed)>,
    next_id: Id,
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
    pub(crate) const fn new() -> Registry {
        Registry {
            list: Mutex::new(List {
                entries: Vec::new(),
                next_id: 0,
                closed: None,
            }),
        }
    }

    pub(crate) fn add(&self, cleanup: Boxed) -> Added {
        let mut list = self.lock();
        if let Some(reason) = list.closed {
            return Added::Late(cleanup, reason);
        }
        let id = list.next_id;
        list.next_id += 1;
        list.entries.push((id, cleanup));
        Added::Queued(id)
    }

    /// Takes back the cleanup registered as `id`, if it has not run (or started) yet.
    pub(crate) fn remove(&self, id: Id) -> Option<Boxed> {
        let mut list = self.lock();
        let index = list.entries.iter().position(|(entry, _)| *entry == id)?;
        Some(list.entries.remove(index).1)
    }

    /// Closes the list for `reason`: from now on [`Registry::add`] answers `Late`.
    pub(crate) fn close(&self, reason: Reason) {
        self.lock().closed.get_or_insert(reason);
    }

    /// The most recently registered cleanup still waiting.
    pub(crate) fn pop(&self) -> Option<Boxed> {
        self.lock().entries.pop().map(|(_, cleanup)| cleanup)
    }

    fn lock(&self) -> MutexGuard<'_, List> {
        // The list is consistent after every statement: a panic elsewhere cannot break it.
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

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
}
