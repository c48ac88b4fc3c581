// The crate's docs are the README: one source, and every Rust block in it is a doctest.
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Runs a cleanup exactly once however the program ends. Goes on `fn main`.
///
/// `#[on_exit(HANDLER, OPTIONS...)]`: see the [crate docs](crate) for the handler forms, the
/// options and the guarantee.
///
/// ```no_run
/// #[on_exit::on_exit(cleanup, signals(interrupt, terminate), timeout = "5s")]
/// fn main() -> Result<(), std::io::Error> {
///     std::fs::create_dir_all("scratch")?;
///     Ok(())
/// }
///
/// fn cleanup() {
///     let _ = std::fs::remove_dir_all("scratch");
/// }
/// ```
#[cfg(feature = "macros")]
#[doc(inline)]
pub use on_exit_macros::on_exit;

pub use on_exit_runtime::{
    exec, exit, kill_on_exit, register, remove_on_exit, requested, restore_terminal, scoped,
    signalled, Cleanup, Config, Guard, Reason, Scoped, Signal, Signalled,
};

/// Not public API: what the `#[on_exit]` expansion calls. It may change in any release.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "__test-hooks")]
    pub use on_exit_runtime::__private::run_console_handler;
    pub use on_exit_runtime::__private::{end, finish, hold, run, run_async, start, Main};
}
