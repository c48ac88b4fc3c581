//! How a signal handler wakes the signal thread, and how that thread sleeps until then.

#[cfg(all(unix, not(target_vendor = "apple")))]
mod semaphore;
#[cfg(all(unix, not(target_vendor = "apple")))]
pub(crate) use self::semaphore::{wake, Waker};

#[cfg(target_vendor = "apple")]
mod pipe;
#[cfg(target_vendor = "apple")]
pub(crate) use self::pipe::{wake, Waker};

#[cfg(windows)]
mod condvar;
#[cfg(windows)]
pub(crate) use self::condvar::{wake, Waker};

#[cfg(not(any(unix, windows)))]
mod none;
#[cfg(not(any(unix, windows)))]
pub(crate) use self::none::{wake, Waker};
