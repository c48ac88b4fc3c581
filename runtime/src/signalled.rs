//! Noticing a request to stop from inside the program: [`requested`] for loops, [`signalled`]
//! for async code. Both matter most with the attribute's `graceful` option, where the first
//! signal asks `main` to finish instead of starting the cleanup.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::per_process::this_process;
use crate::waiters::Slot;
use crate::{driver, Signal};

/// Whether a handled signal has asked the process to end. A few atomic loads and no system
/// call: cheap enough for a hot loop.
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
    Signalled { parked: None }
}

/// The future returned by [`signalled`].
///
/// Dropping it before it resolves takes its waker back, so a `select!` that makes one per
/// connection leaves nothing behind. It stays pending for ever in a process without the
/// runtime (no attribute and no [`register`](crate::register) call before it is polled).
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Signalled {
    /// The process and the slot its waker is stored in, once polled: a forked child's copy
    /// of a parent's future does not own the slot.
    parked: Option<(u64, Slot)>,
}

impl Future for Signalled {
    type Output = Signal;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Signal> {
        let Some(runtime) = driver::runtime() else {
            return Poll::Pending;
        };
        if let Some(signal) = runtime.request() {
            return Poll::Ready(signal);
        }
        let process = this_process();
        let slot = self
            .parked
            .and_then(|(parked_by, slot)| (parked_by == process).then_some(slot));
        self.parked = Some((process, runtime.park(slot, cx.waker())));
        // Checked again after the waker is stored, so that a request arriving in between
        // is not missed: the runtime wakes the stored wakers after recording the request.
        match runtime.request() {
            Some(signal) => Poll::Ready(signal),
            None => Poll::Pending,
        }
    }
}

impl Drop for Signalled {
    fn drop(&mut self) {
        if let (Some((parked_by, slot)), Some(runtime)) = (self.parked, driver::runtime()) {
            if parked_by == this_process() {
                runtime.leave(slot);
            }
        }
    }
}
