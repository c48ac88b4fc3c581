//! What the `#[on_exit]` expansion calls around `main`'s body, without naming a local of its
//! own (a local's name could be taken by a unit struct of the user's).
//!
//! ```text
//! fn main() -> R {
//!     run(|| -> R { hold(Config::new(HANDLER).install()); BODY })
//! }
//! ```
//!
//! [`run`] makes a [`Main`] ([`start`]) before the body and hands the body's value to
//! [`finish`]; [`hold`] parks the guard the body's first statement made; [`finish`] takes it
//! back when the body comes back, and the [`Main`]'s drop does when the body unwinds instead.
//! The body is handed over as a closure (an async block under an async runtime), never
//! called in `main` itself: a body that never returns leaves no unreachable code in `main`,
//! so the expansion needs no lint attribute over the user's code.

use core::cell::Cell;
use core::future::Future;
use core::marker::PhantomData;
use std::process::Termination;

use crate::Guard;

std::thread_local! {
    /// Guards parked by [`hold`] on this thread and not yet taken back.
    static HELD: Cell<usize> = const { Cell::new(0) };
}

/// The part of `main` around its body: made before the body runs, consumed by [`finish`]
/// after it. Dropped without [`finish`] (the body unwinding), it drops the parked guard,
/// which runs the cleanup as a panic's.
#[must_use = "pass it to `finish` with the body's value"]
pub struct Main {
    // Stays on the thread that runs `main`, like the guard.
    _not_send: PhantomData<*const ()>,
}

impl core::fmt::Debug for Main {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Main")
    }
}

/// Before `main`'s body.
pub fn start() -> Main {
    Main {
        _not_send: PhantomData,
    }
}

/// Parks the guard that the body's first statement made: the install runs inside the user's
/// own block, where it sees the items declared there.
pub fn hold(guard: Guard) {
    core::mem::forget(guard);
    HELD.with(|held| held.set(held.get() + 1));
}

/// The parked guard, if any.
fn take() -> Option<Guard> {
    HELD.with(|held| {
        let count = held.get();
        (count > 0).then(|| {
            held.set(count - 1);
            Guard::new()
        })
    })
}

impl Drop for Main {
    fn drop(&mut self) {
        drop(take());
    }
}

/// `main`'s last step, with the value its body produced (every temporary of the body
/// already dropped): [`end`](crate::__private::end) with the parked guard.
pub fn finish<R: Termination>(main: Main, result: R) -> R {
    core::mem::forget(main);
    match take() {
        Some(guard) => crate::__private::end(guard, result),
        None => result,
    }
}

/// `main`'s body, between [`start`] and [`finish`]: `main` is `run(|| -> R { BODY })`.
pub fn run<R: Termination>(body: impl FnOnce() -> R) -> R {
    let main = start();
    let result = body();
    finish(main, result)
}

/// [`run`] for an async `main` (under a runtime's attribute that makes its body an async
/// block): `run_async(async { BODY }).await`.
pub async fn run_async<R: Termination>(body: impl Future<Output = R>) -> R {
    let main = start();
    let result = body.await;
    finish(main, result)
}
