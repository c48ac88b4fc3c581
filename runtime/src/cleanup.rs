//! Cleanups registered at run time: [`register`] for the rest of the process, [`scoped`] for
//! the life of a guard.

use crate::driver;
use crate::driver::Registered;
use crate::registry::Boxed;
use crate::Reason;

/// A function or closure usable as a cleanup: `FnOnce()` or `FnOnce(Reason)`, returning
/// `()`, and `Send + 'static` since it may run on another thread, after `main`'s locals are
/// gone.
///
/// Implemented for every such closure and function; `Args` only tells the two forms apart and
/// is inferred. A closure that takes the reason needs its type written:
/// `|reason: on_exit::Reason| ...`.
///
/// Sealed: only those two forms are cleanups, and no other type can implement it, so that
/// new forms can be added without breaking anyone.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as an on-exit cleanup",
    label = "expected a `FnOnce()` or `FnOnce(on_exit::Reason)` returning `()`, `Send + 'static`",
    note = "a cleanup is a function or closure taking nothing or an `on_exit::Reason` and returning `()`, such as `fn cleanup()` or `|reason: on_exit::Reason| ...`",
    note = "a cleanup that returns a value (such as `io::Result<()>`) must handle it itself: `|| if let Err(error) = cleanup() {{ eprintln!(\"cleanup: {{error}}\") }}`",
    note = "an `async fn` cannot be a cleanup, since it may run inside `exit` where nothing can be awaited: do async teardown in `main` with the `graceful` option"
)]
pub trait Cleanup<Args>: Sized + sealed::Sealed<Args> {
    /// Boxes the cleanup into the one form the runtime stores.
    #[doc(hidden)]
    fn into_boxed(self) -> Box<dyn FnOnce(Reason) + Send + 'static>;
}

impl<F: FnOnce() + Send + 'static> Cleanup<()> for F {
    fn into_boxed(self) -> Boxed {
        Box::new(move |_| self())
    }
}

impl<F: FnOnce(Reason) + Send + 'static> Cleanup<(Reason,)> for F {
    fn into_boxed(self) -> Boxed {
        Box::new(self)
    }
}

/// Keeps [`Cleanup`] to the two forms above: the trait is public, its module is not.
mod sealed {
    use crate::Reason;

    #[allow(unreachable_pub)] // nameable by no one outside: that is the seal
    #[diagnostic::on_unimplemented(
        message = "`on_exit::Cleanup` is sealed: `{Self}` cannot implement it",
        label = "only closures and functions are on-exit cleanups",
        note = "pass a closure or a function instead, such as `on_exit::register(move || teardown(state))`"
    )]
    pub trait Sealed<Args> {}

    impl<F: FnOnce() + Send + 'static> Sealed<()> for F {}

    impl<F: FnOnce(Reason) + Send + 'static> Sealed<(Reason,)> for F {}
}

/// Adds a cleanup that runs when the process ends, however it ends, exactly once.
///
/// Cleanups run in reverse order of registration (like `atexit` and Go's `defer`), then the
/// `#[on_exit]` attribute's handler last, since it was registered first. A cleanup that
/// panics is reported and does not stop the others.
///
/// ```
/// use std::fs;
///
/// #[on_exit::on_exit(|| eprintln!("all cleaned up"))]
/// fn main() -> std::io::Result<()> {
///     let dir = std::env::temp_dir().join(format!("on-exit-register-{}", std::process::id()));
///     fs::create_dir_all(&dir)?;
///     // The cleanup owns state made at run time.
///     on_exit::register(move || {
///         let _ = fs::remove_dir_all(dir);
///     });
///     Ok(())
/// }
/// ```
///
/// - Without the attribute (a library may call `register`), the first call installs the
///   runtime with the default signals. The runtime then cannot see `main` return: a normal
///   end reaches it through `exit`, and the cleanups are told [`Reason::Exited`].
/// - A cleanup registered after the cleanups started (by another cleanup, or by a thread still
///   running during a signal's cleanup) runs at once, on the registering thread, with the
///   reason the process is ending for: then `register` returns once that cleanup has run.
///   `register` never panics, and otherwise returns at once.
pub fn register<Args>(cleanup: impl Cleanup<Args>) {
    driver::register(cleanup.into_boxed());
}

/// Adds a cleanup that runs when the returned guard is dropped, or when the process ends
/// first, whichever comes first, exactly once.
///
/// For state that lives shorter than the program: a temporary directory used by one step.
/// [`Scoped::cancel`] takes the cleanup back without running it.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("on-exit-scoped-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// {
///     let removed = dir.clone();
///     let _guard = on_exit::scoped(move || {
///         let _ = std::fs::remove_dir_all(removed);
///     });
///     // ... Ctrl-C here still removes the directory ...
/// } // dropped: removed now, and not again at exit
/// assert!(!dir.exists());
/// ```
pub fn scoped(cleanup: impl FnOnce() + Send + 'static) -> Scoped {
    Scoped {
        registered: driver::register(cleanup.into_boxed()),
    }
}

/// The guard returned by [`scoped`]: dropping it runs its cleanup now.
#[must_use = "dropping the guard runs the cleanup at once"]
#[derive(Debug)]
pub struct Scoped {
    /// `None` when the cleanup already ran at registration (the process was ending). In a
    /// forked child, the parent's: dropping it there does nothing.
    registered: Option<Registered>,
}

impl Scoped {
    /// Takes the cleanup back without running it.
    pub fn cancel(mut self) {
        if let Some(registered) = self.registered.take() {
            drop(driver::unregister(registered));
        }
    }
}

impl Drop for Scoped {
    fn drop(&mut self) {
        if let Some(cleanup) = self.registered.take().and_then(driver::unregister) {
            driver::run_early(cleanup);
        }
    }
}
