//! The runtime behind the [`on-exit`](https://docs.rs/on-exit) crate. Depend on `on-exit`,
//! not on this crate: its public items are re-exported there, and everything else here is an
//! implementation detail of the `#[on_exit]` attribute.
//!
//! The architecture, from the file tree:
//!
//! - `reason.rs`: [`Reason`] and [`Signal`], what a cleanup is told.
//! - `state.rs`: the exactly-once state machine, free of any operating system.
//! - `registry.rs`: the list of cleanups, run in reverse order of registration.
//! - `waiters.rs`: the wakers of pending [`Signalled`] futures.
//! - `runtime.rs`: those three and the settings as one `Runtime` value, with the whole ending
//!   path, still free of any operating system.
//! - `model.rs`: the loom models of that ending path.
//! - `driver.rs`: the process's one `Runtime`, wired to the process: the guard in `main`, the
//!   `atexit` hook, the signal thread, the timeout watchdog, fork.
//! - `cleanup.rs`, `signalled.rs`: the public functions for registering cleanups and for
//!   noticing a request to stop, thin wrappers over the driver.
//! - `sys/`: one file per platform; the only place with `unsafe` code.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]
// Model checking (`RUSTFLAGS="--cfg on_exit_loom"`) builds the OS-free half and its models
// only: loom's primitives exist only inside `loom::model`, so the driver's statics cannot.
#![cfg_attr(on_exit_loom, allow(dead_code, unused_imports))]

#[cfg(not(on_exit_loom))]
mod cleanup;
#[cfg(not(on_exit_loom))]
mod driver;
#[cfg(all(test, on_exit_loom))]
mod model;
mod reason;
mod registry;
mod runtime;
#[cfg(not(on_exit_loom))]
mod signalled;
mod state;
mod sync;
mod sys;
mod waiters;

#[cfg(not(on_exit_loom))]
pub use crate::cleanup::{register, scoped, Cleanup, Scoped};
pub use crate::reason::{Reason, Signal};
#[cfg(not(on_exit_loom))]
pub use crate::signalled::{requested, signalled, Signalled};

/// Not public API: what the `#[on_exit]` expansion calls. May change in any release.
#[doc(hidden)]
#[cfg(not(on_exit_loom))]
pub mod __private {
    use core::marker::PhantomData;
    use std::process::Termination;
    use std::time::Duration;

    use crate::driver;
    use crate::runtime::Settings;
    use crate::{Cleanup, Reason, Signal};

    /// The attribute's options, built at compile time by the expansion.
    #[derive(Clone, Copy, Debug)]
    pub struct Config(Settings);

    impl Config {
        /// The defaults: the platform's default signals, no timeout, not graceful.
        #[must_use]
        pub const fn new() -> Config {
            Config(Settings {
                signals: crate::sys::DEFAULT_SIGNALS,
                timeout: None,
                graceful: false,
            })
        }

        /// `signals(...)`: replaces the default set.
        #[must_use]
        pub const fn signals(self, signals: &'static [Signal]) -> Config {
            Config(Settings { signals, ..self.0 })
        }

        /// `timeout = "..."`, in milliseconds.
        #[must_use]
        pub const fn timeout_ms(self, timeout_ms: u64) -> Config {
            Config(Settings {
                timeout: Some(Duration::from_millis(timeout_ms)),
                ..self.0
            })
        }

        /// `graceful`: the first signal asks `main` to finish.
        #[must_use]
        pub const fn graceful(self) -> Config {
            Config(Settings {
                graceful: true,
                ..self.0
            })
        }
    }

    impl Default for Config {
        fn default() -> Config {
            Config::new()
        }
    }

    /// Installs the runtime with `cleanup`; the first statement of the user's `main`.
    pub fn install<Args, C: Cleanup<Args>>(cleanup: C, config: Config) -> Guard {
        // Registered before any handler is installed: a signal at once still finds it.
        driver::install(config.0, cleanup.into_boxed());
        Guard {
            _not_send: PhantomData,
        }
    }

    /// For tests only: calls the installed Windows console handler with `event`
    /// (`CTRL_CLOSE_EVENT` is 2) on this thread, the way Windows does on a thread it creates.
    /// Whether the handler answered `TRUE`; `None` where there are no console events (Unix).
    #[must_use]
    pub fn run_console_handler(event: u32) -> Option<bool> {
        crate::sys::run_console_handler(event)
    }

    /// Lives in `main`: its drop is `main` returning (or a panic unwinding out of it).
    #[must_use = "the cleanup runs when the guard drops at the end of `main`"]
    pub struct Guard {
        // Stays on the thread that runs `main`.
        _not_send: PhantomData<*const ()>,
    }

    impl Guard {
        /// `main`'s last step, with the value its body produced (every temporary of the body
        /// already dropped). If a signal asked the process to end, `main`'s result is
        /// reported as std would (`Error: ...` for an `Err`) before the process dies by the
        /// signal; otherwise the cleanup runs as the guard drops and `result` is returned.
        pub fn end<R: Termination>(self, result: R) -> R {
            if let Some(signal) = driver::request() {
                let _ = result.report();
                drop(self);
                // The drop died by the signal; this is only a fallback.
                crate::sys::die_by(signal);
            }
            result
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            let reason = if std::thread::panicking() {
                Reason::Panicked
            } else {
                Reason::Returned
            };
            driver::conclude(reason);
        }
    }
}
