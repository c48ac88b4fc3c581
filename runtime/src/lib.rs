//! The runtime behind the [`on-exit`](https://docs.rs/on-exit) crate. Depend on `on-exit`,
//! not on this crate: its public items are re-exported there, and everything else here is an
//! implementation detail of the `#[on_exit]` attribute.
//!
//! The architecture, from the file tree:
//!
//! - `reason.rs`: [`Reason`] and [`Signal`], what a cleanup is told.
//! - `state.rs`: the exactly-once state machine, free of any operating system.
//! - `registry.rs`: the list of cleanups, run in reverse order of registration.
//! - `driver.rs`: wires them to the process: the guard in `main`, the `atexit` hook, the
//!   signal thread, the timeout watchdog.
//! - `cleanup.rs`, `signalled.rs`: the public functions for registering cleanups and for
//!   noticing a request to stop.
//! - `sys/`: one file per platform; the only place with `unsafe` code.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]
// Model checking (`RUSTFLAGS="--cfg loom"`) builds the state machine and its loom tests only:
// loom's primitives exist only inside `loom::model`, so the runtime's statics cannot.
#![cfg_attr(loom, allow(dead_code, unused_imports))]

#[cfg(not(loom))]
mod cleanup;
#[cfg(not(loom))]
mod driver;
mod reason;
#[cfg(not(loom))]
mod registry;
#[cfg(not(loom))]
mod signalled;
mod state;
mod sync;
mod sys;

#[cfg(not(loom))]
pub use crate::cleanup::{register, scoped, Cleanup, Scoped};
pub use crate::reason::{Reason, Signal};
#[cfg(not(loom))]
pub use crate::signalled::{requested, signalled, Signalled};

/// Not public API: what the `#[on_exit]` expansion calls. May change in any release.
#[doc(hidden)]
#[cfg(not(loom))]
pub mod __private {
    use core::marker::PhantomData;
    use std::time::Duration;

    use crate::driver::{self, Settings};
    use crate::{Cleanup, Reason, Signal};

    /// The attribute's options, built at compile time by the expansion.
    #[derive(Clone, Copy, Debug)]
    pub struct Config {
        signals: Option<&'static [Signal]>,
        timeout_ms: Option<u64>,
        graceful: bool,
    }

    impl Config {
        /// The defaults: the platform's default signals, no timeout, not graceful.
        #[must_use]
        pub const fn new() -> Config {
            Config {
                signals: None,
                timeout_ms: None,
                graceful: false,
            }
        }

        /// `signals(...)`: replaces the default set.
        #[must_use]
        pub const fn signals(self, signals: &'static [Signal]) -> Config {
            Config {
                signals: Some(signals),
                ..self
            }
        }

        /// `timeout = "..."`, in milliseconds.
        #[must_use]
        pub const fn timeout_ms(self, timeout_ms: u64) -> Config {
            Config {
                timeout_ms: Some(timeout_ms),
                ..self
            }
        }

        /// `graceful`: the first signal asks `main` to finish.
        #[must_use]
        pub const fn graceful(self) -> Config {
            Config {
                graceful: true,
                ..self
            }
        }
    }

    impl Default for Config {
        fn default() -> Config {
            Config::new()
        }
    }

    /// Installs the runtime with `cleanup`; the first statement of the user's `main`.
    pub fn install<Args, C: Cleanup<Args>>(cleanup: C, config: Config) -> Guard {
        let defaults = Settings::default();
        let settings = Settings {
            signals: config.signals.unwrap_or(defaults.signals),
            timeout: config.timeout_ms.map(Duration::from_millis),
            graceful: config.graceful,
        };
        if !driver::install(settings) {
            // A `register` call (or a second `#[on_exit]`) came first: its settings stay.
            driver::warn(format_args!(
                "the runtime was already installed; this attribute's options are ignored"
            ));
        }
        crate::register(cleanup);
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
