//! Noticing a request to stop from inside the program: [`requested`] for loops, [`signalled`]
//! for async code. Both matter most with the attribute's `graceful` option, where the first
//! signal asks `main` to finish instead of starting the cleanup.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::{driver, Signal};

static WAITING: Mutex<Vec<Waker>> = Mutex::new(Vec::new());

/// Whether a handled signal has asked the process to end. One atomic load: cheap enough for
/// a hot loop.
///
/// With the `graceful` option this is how `main` learns that it should finish; without it,
/// the cleanup is already running on the runtime's thread when this turns `true`. Always
/// `false` when nothing installed the runtime (no attribute and no [`register`] call).
///
/// [`register`]: crate::register
#[must_use]
pub fn requested() -> bool {
    driver::request().is_some()
}

/// A future that resolves to the signal that asked the process to end.
///
/// It needs no particular async runtime. With the `graceful` option, use it to stop accepting
/// work and let `main` finish:
///
/// ```no_run
/// async fn serve(stop: on_exit::Signalled) {
///     // In a real server: tokio::select! { signal = stop => ..., () = accept() => ... }
///     let signal = stop.await;
///     eprintln!("{signal}: finishing the work in hand");
/// }
/// # let _ = serve(on_exit::signalled());
/// ```
pub fn signalled() -> Signalled {
    Signalled { _private: () }
}

/// The future returned by [`signalled`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Signalled {
    _private: (),
}

impl Future for Signalled {
    type Output = Signal;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Signal> {
        if let Some(signal) = driver::request() {
            return Poll::Ready(signal);
        }
        {
            let mut waiting = WAITING.lock().unwrap_or_else(PoisonError::into_inner);
            if !waiting.iter().any(|waker| waker.will_wake(cx.waker())) {
                waiting.push(cx.waker().clone());
            }
        }
        // Checked again after the waker is stored, so that a request arriving in between
        // is not missed: `wake_all` runs after the request is recorded.
        match driver::request() {
            Some(signal) => Poll::Ready(signal),
            None => Poll::Pending,
        }
    }
}

/// Wakes every pending [`Signalled`]; the runtime's thread calls it on the first request.
pub(crate) fn wake_all() {
    let waiting = std::mem::take(&mut *WAITING.lock().unwrap_or_else(PoisonError::into_inner));
    for waker in waiting {
        waker.wake();
    }
}
