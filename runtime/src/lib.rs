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
//!   `atexit` hook, the timeout watchdog, fork.
//! - `signal_thread.rs`: what the signal handlers do with a delivery, and the thread that
//!   serves the request (and the cleanups a thread in `exit` hands off).
//! - `cleanup.rs`, `signalled.rs`, `config.rs`: the public functions for registering
//!   cleanups, for noticing a request to stop, and for installing without the attribute;
//!   thin wrappers over the driver.
//! - `context.rs`: an `io::Error` saying what failed, with the original as its `source()`.
//! - `exec.rs`: [`exec`], a command as the program's last act, and the signals passed on to it;
//!   `handoff.rs`: its child and the signals waiting for it, between `exec` and the signal
//!   handlers, OS-free and model checked.
//! - `terminal.rs`: [`restore_terminal`], the terminal recorded and put back.
//! - `output.rs`: std's stdout flushed before the process dies by a signal, bounded.
//! - `expansion.rs`: what the `#[on_exit]` expansion calls around `main`'s body.
//! - `guardian/`: [`kill_on_exit`] and [`remove_on_exit`], done as registered cleanups and,
//!   for the endings no code survives, by a guardian process (`serve.rs`) that the program
//!   talks to in frames (`protocol.rs`); its platform plumbing in `guardian/sys/` (pidfds,
//!   the channel, the copy of the program started before `main`).
//! - `per_process.rs`: the one owner of per-process state (the runtime, scoped guards,
//!   signalled futures, the guardian's armed set), tagged with the process so that a forked
//!   child never uses its parent's.
//! - `sys/`: the ending hooks, by concern (`signal/`, `wake/`, `thread/`, `terminal/`,
//!   `child/`), then by platform.
//! - `sync.rs`: the locks and atomics, std's or loom's.
//!
//! `unsafe` code is denied everywhere but in `sys/` and `guardian/sys/`.

#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]
// Model checking (`RUSTFLAGS="--cfg on_exit_loom"`) builds the OS-free half and its models
// only: loom's primitives exist only inside `loom::model`, so the driver's statics cannot.
#![cfg_attr(on_exit_loom, allow(dead_code, unused_imports))]

#[cfg(not(on_exit_loom))]
mod cleanup;
#[cfg(not(on_exit_loom))]
mod config;
#[cfg(not(on_exit_loom))]
mod context;
#[cfg(not(on_exit_loom))]
mod driver;
#[cfg(not(on_exit_loom))]
mod exec;
#[cfg(not(on_exit_loom))]
mod expansion;
#[cfg(not(on_exit_loom))]
mod guardian;
mod handoff;
#[cfg(all(test, on_exit_loom))]
mod model;
#[cfg(not(on_exit_loom))]
mod output;
#[cfg(not(on_exit_loom))]
mod per_process;
mod reason;
mod registry;
mod runtime;
#[cfg(not(on_exit_loom))]
mod signal_thread;
#[cfg(not(on_exit_loom))]
mod signalled;
mod state;
mod sync;
#[allow(unsafe_code)] // the platform layer: with `guardian/sys/`, the only `unsafe` code
mod sys;
#[cfg(not(on_exit_loom))]
mod terminal;
mod waiters;

#[cfg(not(on_exit_loom))]
pub use crate::cleanup::{register, scoped, Cleanup, Scoped};
#[cfg(not(on_exit_loom))]
pub use crate::config::{exit, Config, Guard};
#[cfg(not(on_exit_loom))]
pub use crate::exec::exec;
#[cfg(not(on_exit_loom))]
pub use crate::guardian::{kill_on_exit, remove_on_exit};
pub use crate::reason::{Reason, Signal};
#[cfg(not(on_exit_loom))]
pub use crate::signalled::{requested, signalled, Signalled};
#[cfg(not(on_exit_loom))]
pub use crate::terminal::restore_terminal;

/// Not public API: what the `#[on_exit]` expansion calls. May change in any release.
#[doc(hidden)]
#[cfg(not(on_exit_loom))]
pub mod __private {
    use std::process::Termination;

    use crate::{driver, Guard};

    pub use crate::expansion::{finish, hold, run, run_async, start, Main};

    /// `main`'s last step, with the value its body produced (every temporary of the body
    /// already dropped). If a signal asked the process to end, `main`'s result is reported
    /// as std would (`Error: ...` for an `Err`) before the process dies by the signal;
    /// otherwise the cleanup runs as the guard drops and `result` is returned.
    pub fn end<R: Termination>(guard: Guard, result: R) -> R {
        if let Some(signal) = driver::request() {
            let _ = result.report();
            drop(guard);
            // The drop died by the signal; this is only a fallback.
            driver::die_by(signal);
        }
        result
    }

    /// For the project's Windows tests only: calls the installed console handler with
    /// `event` (`CTRL_CLOSE_EVENT` is 2) on this thread, the way Windows does on a thread it
    /// creates. Whether the handler answered `TRUE`; `None` where there are no console events.
    #[cfg(feature = "__test-hooks")]
    #[must_use]
    pub fn run_console_handler(event: u32) -> Option<bool> {
        driver::run_console_handler(event)
    }
}

#[cfg(test)]
mod tests {
    /// The runtime has no public features: like the facade's, its test hooks are
    /// `__`-prefixed, so that no one takes them for an option.
    #[test]
    fn every_feature_is_prefixed_as_not_public() {
        let manifest = include_str!("../Cargo.toml");
        let features = manifest
            .split("\n[features]\n")
            .nth(1)
            .expect("a [features] table");
        let features = features.split("\n[").next().unwrap_or(features);
        let names: Vec<&str> = features
            .lines()
            .filter(|line| !line.starts_with('#') && line.contains('='))
            .filter_map(|line| line.split('=').next())
            .map(str::trim)
            .collect();
        assert!(!names.is_empty(), "{features}");
        for name in names {
            assert!(
                name.starts_with("__"),
                "the feature `{name}` is not `__`-prefixed"
            );
        }
    }
}
