//! The wakers of pending [`Signalled`](crate::Signalled) futures: a slab, so that a future
//! dropped before the request takes its waker out in constant time, and a `select!` that
//! polls and drops one per connection leaves nothing behind.

use std::sync::PoisonError;
use std::task::Waker;

use crate::sync::{Mutex, MutexGuard};

/// A future's place in [`Waiters`].
pub(crate) type Slot = usize;

pub(crate) struct Waiters {
    list: Mutex<List>,
}

struct List {
    slots: Vec<Option<Waker>>,
    /// Emptied slots, reused before the vector grows.
    free: Vec<Slot>,
}

impl Waiters {
    pub(crate) fn new() -> Waiters {
        Waiters {
            list: Mutex::new(List {
                slots: Vec::new(),
                free: Vec::new(),
            }),
        }
    }

    /// Stores `waker` in `slot` (taking a slot if `None`) and returns the slot.
    pub(crate) fn park(&self, slot: Option<Slot>, waker: &Waker) -> Slot {
        let mut list = self.lock();
        if let Some(slot) = slot {
            if let Some(stored) = list.slots.get_mut(slot) {
                match stored {
                    Some(stored) if stored.will_wake(waker) => {}
                    _ => *stored = Some(waker.clone()),
                }
                return slot;
            }
        }
        if let Some(slot) = list.free.pop() {
            list.slots[slot] = Some(waker.clone());
            slot
        } else {
            list.slots.push(Some(waker.clone()));
            list.slots.len() - 1
        }
    }

    /// Gives back `slot`: its future was dropped.
    pub(crate) fn leave(&self, slot: Slot) {
        let mut list = self.lock();
        if let Some(stored) = list.slots.get_mut(slot) {
            *stored = None;
            list.free.push(slot);
        }
    }

    /// Wakes every stored waker. The slots stay taken until their futures leave.
    pub(crate) fn wake_all(&self) {
        let woken: Vec<Waker> = self
            .lock()
            .slots
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        for waker in woken {
            waker.wake();
        }
    }

    /// How many slots the list holds, for the test that nothing leaks.
    #[cfg(test)]
    pub(crate) fn capacity_used(&self) -> usize {
        self.lock().slots.len()
    }

    fn lock(&self) -> MutexGuard<'_, List> {
        // Consistent after every statement: a panic elsewhere cannot break it.
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(all(test, not(on_exit_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_million_parked_and_left_keep_one_slot() {
        let waiters = Waiters::new();
        let count = if cfg!(miri) { 1_000 } else { 1_000_000 };
        for _ in 0..count {
            // A new waker each time, as a new task per connection would have.
            let waker = Waker::from(Arc::new(Count(AtomicUsize::new(0))));
            let slot = waiters.park(None, &waker);
            waiters.leave(slot);
        }
        assert_eq!(waiters.capacity_used(), 1);
    }

    #[test]
    fn wake_all_wakes_each_parked_waker_once() {
        let waiters = Waiters::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&count));
        let first = waiters.park(None, &waker);
        assert_eq!(waiters.park(Some(first), &waker), first);
        let second = waiters.park(None, &waker);
        let gone = waiters.park(None, &waker);
        waiters.leave(gone);
        waiters.wake_all();
        waiters.wake_all();
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        waiters.leave(first);
        waiters.leave(second);
    }
}
