use std::sync::atomic::{AtomicPtr, Ordering};

/// A `&'static T` that a signal handler can read (one atomic load) and that can be replaced:
/// the runtime of the process, which a forked child replaces with its own.
pub(crate) struct Published<T: 'static>(AtomicPtr<T>);

impl<T: Sync> Published<T> {
    pub(crate) const fn empty() -> Published<T> {
        Published(AtomicPtr::new(std::ptr::null_mut()))
    }

    pub(crate) fn get(&self) -> Option<&'static T> {
        let pointer = self.0.load(Ordering::Acquire);
        // SAFETY: the pointer is null or came from a `&'static T` in `publish`, so it is
        // aligned, points to a live `T` for the rest of the program, and is only ever shared.
        unsafe { pointer.as_ref() }
    }

    pub(crate) fn publish(&self, value: &'static T) {
        self.0
            .store(std::ptr::from_ref(value).cast_mut(), Ordering::Release);
    }

    /// Publishes `value` if `current` is still the published one: whether it was.
    pub(crate) fn publish_over(&self, current: Option<&'static T>, value: &'static T) -> bool {
        let current = current.map_or(std::ptr::null_mut(), |c| std::ptr::from_ref(c).cast_mut());
        self.0
            .compare_exchange(
                current,
                std::ptr::from_ref(value).cast_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }
}
