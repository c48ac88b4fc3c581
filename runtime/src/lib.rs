//! The runtime behind the [`on-exit`](https://docs.rs/on-exit) crate. Depend on `on-exit`,
//! not on this crate: its public items are re-exported there, and everything else here is an
//! implementation detail of the `#[on_exit]` attribute.
//!
//! The architecture, from the file tree:
//!
//! - `reason.rs`: [`Reason`] and [`Signal`], what a cleanup is told.
//! - `state.rs`: the exactly-once state machine, free of any operating system.
//! - `driver.rs`: wires it to the process: the guard in `main`, the `atexit` hook, the signal
//!   thread, the timeout watchdog.
//! - `sys/`: one file per platform; the only place with `unsafe` code.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]

mod driver;
mod reason;
mod state;
mod sys;

pub use crate::reason::{Reason, Signal};

/// Not public API: what the `#[on_exit]` expansion calls. May change in any release.
#[doc(hidden)]
pub mod __private {
    use core::marker::PhantomData;
    use std::time::Duration;

    use crate::{driver, sys, Reason, Signal};

    /// The attribute's options, built at compile time by the expansion.
    #[derive(Clone, Copy, Debug)]
    pub struct Config {
        signals: Option<&'static [Signal]>,
        timeout_ms: Option<u64>,
    }

    impl Config {
        /// The defaults: the platform's default signals, no timeout.
        #[must_use]
        pub const fn new() -> Config {
            Config {
                signals: None,
                timeout_ms: None,
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
    }

    impl Default for Config {
        fn default() -> Config {
            Config::new()
        }
    }

    /// A value usable as a cleanup: `FnOnce()` or `FnOnce(Reason)`, `Send + 'static`.
    ///
    /// `Args` only tells the two forms apart; it is inferred.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be used as an on-exit cleanup",
        label = "expected a `FnOnce()` or `FnOnce(on_exit::Reason)` that is `Send + 'static`",
        note = "a cleanup is a function or closure taking nothing or an `on_exit::Reason`, such as `fn cleanup()` or `|reason: on_exit::Reason| ...`"
    )]
    pub trait Cleanup<Args>: Sized {
        /// Boxes the cleanup into the one form the runtime stores.
        fn into_cleanup(self) -> Box<dyn FnOnce(Reason) + Send + 'static>;
    }

    impl<F: FnOnce() + Send + 'static> Cleanup<()> for F {
        fn into_cleanup(self) -> Box<dyn FnOnce(Reason) + Send + 'static> {
            Box::new(move |_| self())
        }
    }

    impl<F: FnOnce(Reason) + Send + 'static> Cleanup<(Reason,)> for F {
        fn into_cleanup(self) -> Box<dyn FnOnce(Reason) + Send + 'static> {
            Box::new(self)
        }
    }

    /// Installs the runtime with `cleanup`; the first statement of the user's `main`.
    pub fn install<Args, C: Cleanup<Args>>(cleanup: C, config: Config) -> Guard {
        let signals = config.signals.unwrap_or(sys::DEFAULT_SIGNALS);
        let timeout = config.timeout_ms.map(Duration::from_millis);
        let active = driver::install(cleanup.into_cleanup(), signals, timeout);
        Guard {
            active,
            _not_send: PhantomData,
        }
    }

    /// Lives in `main`: its drop is `main` returning (or a panic unwinding out of it).
    #[must_use = "the cleanup runs when the guard drops at the end of `main`"]
    pub struct Guard {
        active: bool,
        // Stays on the thread that runs `main`.
        _not_send: PhantomData<*const ()>,
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            if self.active {
                let reason = if std::thread::panicking() {
                    Reason::Panicked
                } else {
                    Reason::Returned
                };
                driver::end_main(reason);
            }
        }
    }
}
