//! Run a cleanup **exactly once**, however the program ends: `main` returns or panics,
//! something calls [`std::process::exit`], the user presses Ctrl-C, a supervisor sends
//! `SIGTERM`, or the terminal closes. Then the program ends the honest way: after a signal it
//! dies by that same signal, so shells, `make`, CI runners and supervisors see what happened.
//!
//! ```
//! use on_exit::on_exit;
//!
//! #[on_exit(cleanup)]
//! fn main() {
//!     std::fs::write(lock_path(), "busy").unwrap();
//!     // ... work; Ctrl-C, SIGTERM or closing the terminal here still runs `cleanup` ...
//! }
//!
//! fn cleanup() {
//!     let _ = std::fs::remove_file(lock_path());
//! }
//!
//! fn lock_path() -> std::path::PathBuf {
//!     std::env::temp_dir().join(format!("on-exit-doc-{}.lock", std::process::id()))
//! }
//! ```
//!
//! # The handler
//!
//! Any expression that is `FnOnce() + Send + 'static` or `FnOnce(Reason) + Send + 'static`:
//! a path (`cleanup`, `app::State::cleanup`) or a closure (`|| ...`,
//! `|reason: on_exit::Reason| ...`). A handler that takes a [`Reason`] is told why it runs:
//!
//! ```no_run
//! use on_exit::{on_exit, Reason, Signal};
//!
//! #[on_exit(|reason: Reason| match reason {
//!     Reason::Signal(Signal::Interrupt) => eprintln!("interrupted: keeping the partial output"),
//!     Reason::Returned => eprintln!("done"),
//!     _ => eprintln!("stopped: {reason}"),
//! })]
//! fn main() {}
//! ```
//!
//! # Options
//!
//! `#[on_exit(HANDLER, signals(...), timeout = "...", crate = ...)]`, each optional:
//!
//! | option | meaning |
//! |---|---|
//! | `signals(interrupt, terminate, ...)` | the signals to catch, replacing the default set. Names: `interrupt`, `terminate`, `hangup`, `quit`, `ctrl_break`, `close`, `logoff`, `shutdown`; those a platform lacks are ignored there. Default: `interrupt`, `terminate`, `hangup` (on Windows the five console events). `quit` is opt-in, so a `SIGQUIT` core dump shows the program untouched. |
//! | `timeout = "500ms"` | the most time a cleanup started by a signal may take (`ms`, `s` or `m`); then the process ends as if the cleanup had returned. With `graceful`, also the most time `main` gets to finish after the first signal. Checked at compile time. |
//! | `graceful` | the first signal does not start the cleanup: it asks `main` to finish (see below). |
//! | `crate = path::to::on_exit` | for crates that re-export `on-exit` under another path. |
//!
//! # Cleanups made at run time
//!
//! [`register`] adds a cleanup that owns state created in `main` (a temporary directory, a
//! child process); [`scoped`] adds one for the life of a guard. Registered cleanups run in
//! reverse order of registration, then the attribute's handler last.
//!
//! # Graceful shutdown
//!
//! With `graceful`, the first Ctrl-C or `SIGTERM` asks `main` to finish instead of starting
//! the cleanup. `main` notices with [`requested`] or awaits [`signalled`]; when it returns,
//! the cleanup runs with [`Reason::Signal`] and the process dies by the signal. With
//! `timeout`, a `main` that does not finish in time is cut off; a second request skips the
//! wait; a third ends the process at once.
//!
//! ```
//! #[on_exit::on_exit(cleanup, graceful, timeout = "10s")]
//! fn main() {
//!     let mut units = 0;
//!     while !on_exit::requested() && units < 3 {
//!         units += 1; // one unit of work
//!     }
//!     // finish the unit in hand, flush, then return: the cleanup runs after
//! }
//!
//! fn cleanup() {}
//! ```
//!
//! `#[on_exit]` also works with `#[tokio::main]` written above or below it; the cleanup stays
//! synchronous, and async teardown belongs in `main`, after [`signalled`] resolved.
//!
//! # The guarantee (Unix)
//!
//! 1. The handlers are installed by the first statement of `main`. A signal that was ignored
//!    when the program started (`nohup`, `cmd &` in a script) stays ignored. No other signal is
//!    touched.
//! 2. The cleanup runs **exactly once** per process, for whichever comes first:
//!
//!    | the program ends by | cleanup told | then the process ends with |
//!    |---|---|---|
//!    | `main` returning (`()`, `Ok`, `Err`, an `ExitCode`, an early `return`, a `?`) | [`Reason::Returned`] | `main`'s own status: 0, 1 for `Err`, the `ExitCode` |
//!    | a panic unwinding out of `main` | [`Reason::Panicked`] | 101 |
//!    | `std::process::exit(n)` on any thread | [`Reason::Exited`] | `n` |
//!    | `SIGINT`, `SIGTERM`, `SIGHUP` (and `SIGQUIT` if asked for) | [`Reason::Signal`] | death by that signal (`$?` = 128 + N) |
//!
//! 3. The cleanup for a signal never runs inside the signal handler: it runs on the runtime's
//!    own thread, while the rest of the program keeps running. It should not assume that
//!    `main` has stopped.
//! 4. After a signal's cleanup the process dies by that signal. As PID 1 (a container's init,
//!    where the kernel ignores a re-raised signal) it ends with `_exit(128 + N)` instead.
//! 5. If `main` returns, panics or calls `exit` while a signal's cleanup runs, that path waits
//!    for the cleanup, then the process still dies by the signal. A signal that arrives while
//!    the cleanup runs for another reason also ends the process by that signal once the
//!    cleanup is done.
//! 6. A cleanup that panics: the panic is printed on stderr and the process ends as it would
//!    have without the panic. A cleanup that calls `std::process::exit(code)` ends the process
//!    with `code`, without running again (but see the table below for the one exception).
//! 7. A second `SIGINT` or `SIGTERM` during the cleanup ends the process at once, by that
//!    signal. A burst (the same signal delivered again within 100 ms of the previous delivery,
//!    such as a loop of `kill`s) is one request; a repeated `SIGHUP` never forces.
//!
//! # What cannot be caught
//!
//! | event | why | what happens |
//! |---|---|---|
//! | `SIGKILL` (`kill -9`, the OOM killer) | the kernel never lets a process see it | the process is gone; no cleanup |
//! | `panic = "abort"` in the profile | an aborting panic never unwinds to `main` | `SIGABRT`; no cleanup |
//! | [`std::process::abort`], a crash (`SIGSEGV`, `SIGBUS`, ...) | nothing of the program can run safely after them | death by the signal; no cleanup |
//! | power loss, a kernel panic | nothing runs | no cleanup |
//! | a signal arriving before `main`'s first statement | the handlers are not installed yet | the default action |
//! | `process::exit` called from the cleanup while the process is already ending through `process::exit` | the standard library aborts a re-entrant `exit` | the cleanup has run once; the process ends by `SIGABRT` |
//! | `std::process::exit` on Windows | it is `ExitProcess` there, which runs no `atexit` hook | the exit code, no cleanup |
//!
//! # Windows
//!
//! The console events (`CTRL_C_EVENT`, `CTRL_BREAK_EVENT`, `CTRL_CLOSE_EVENT`,
//! `CTRL_LOGOFF_EVENT`, `CTRL_SHUTDOWN_EVENT`) are caught by default. After the cleanup the
//! process ends with `STATUS_CONTROL_C_EXIT` (`0xC000013A`), as the default handler would
//! have ended it. For close, logoff and shutdown, where returning from the handler ends the
//! process, the handler waits for the cleanup, at most 4.5 s (Windows allows 5); `timeout`
//! can only shorten that, and `graceful` does not wait for `main` then.
//!
//! # How it works
//!
//! The attribute inserts `let guard = on_exit::__private::install(...)` as the first statement
//! of `main`. The guard's drop is `main` returning or panicking; an `atexit` hook sees
//! `process::exit`; signal handlers (through `signal-hook`) only record the signal and wake the
//! runtime's thread, which runs the cleanup. One small state machine decides who runs it.

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
#[doc(inline)]
pub use on_exit_macros::on_exit;

pub use on_exit_runtime::{
    register, requested, scoped, signalled, Cleanup, Reason, Scoped, Signal, Signalled,
};

/// Not public API: what the `#[on_exit]` expansion calls. It may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use on_exit_runtime::__private::{install, run_console_handler, Config, Guard};
}
