//! The signal thread's wake-up on Windows, where the console handler runs on a thread of its
//! own and may lock: a condition variable.

use std::io;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

static WOKEN: Mutex<bool> = Mutex::new(false);
static WAKE: Condvar = Condvar::new();

/// The signal thread sleeps here until the console handler wakes it.
pub(crate) struct Waker(());

// The same signatures as the Unix waker, which can fail and has state.
#[allow(clippy::unnecessary_wraps, clippy::unused_self)]
impl Waker {
    pub(crate) fn new() -> io::Result<Waker> {
        Ok(Waker(()))
    }

    /// Blocks, using no CPU, until the handler wakes the thread or `timeout` passes.
    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        let woken = WOKEN.lock().unwrap_or_else(PoisonError::into_inner);
        let mut woken = match timeout {
            Some(timeout) => {
                WAKE.wait_timeout_while(woken, timeout, |woken| !*woken)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => WAKE
                .wait_while(woken, |woken| !*woken)
                .unwrap_or_else(PoisonError::into_inner),
        };
        *woken = false;
    }
}

pub(crate) fn wake() {
    *WOKEN.lock().unwrap_or_else(PoisonError::into_inner) = true;
    WAKE.notify_all();
}
