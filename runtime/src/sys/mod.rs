//! The platform layer of the ending path: by concern, then by platform, each concern a folder
//! with one file per platform and the same `pub(crate)` items in each. With the guardian's own
//! platform files (`guardian/sys/`), the only place with `unsafe` code. Nothing here calls up
//! into the runtime: what a handler does is a function it is given.
//!
//! - `signal/`: `raw_number(Signal) -> Option<i32>`; `DEFAULT_SIGNALS`, what is caught when
//!   the attribute does not say; `catch(Signal, fn(Signal, u64, Sender) -> Action) -> io::Result<Caught>`,
//!   which installs the handler that reports each delivery (with a monotonic time in
//!   nanoseconds) and does what the answer says; `holding(&[Signal], FnOnce() -> R) -> R`,
//!   which runs the installation with the signals held back, so that none is lost while a
//!   handler is being installed; `at_exit(extern "C" fn())`, the hook run by `exit`;
//!   `at_exit_in_cleanup(fn())` and `mark_cleanup(bool)`, the hook run when a thread marked
//!   as running a cleanup ends the process where `at_exit`'s is skipped (Windows'
//!   `ExitProcess`; nothing elsewhere);
//!   `die_by(Signal) -> !`, which ends the process the way the signal would have; `now_ns()`,
//!   a monotonic clock in nanoseconds (async-signal-safe on Unix); and, for tests,
//!   `run_console_handler(u32) -> Option<bool>`, which calls the Windows console handler the
//!   way Windows does (`None` elsewhere).
//! - `wake/`: `Waker`, on which the signal thread sleeps until the first request, and the
//!   handlers' `wake()`: a semaphore, a pipe on Apple's systems, a condition variable on
//!   Windows.
//! - `thread/`: `pid()` (cached, refreshed in a forked child), `thread_id()`, and
//!   `parked_in_exit(u64) -> bool`: whether a thread is parked for ever by std's `exit`
//!   (Linux, where std parks a second thread that calls `exit`).
//! - `spawn/`: `spawn(&'static CStr, Box<dyn FnOnce() + Send>) -> io::Result<()>`, which starts
//!   one of the runtime's detached threads (`pthread_create` on Unix, so that std's spawn
//!   machinery stays out of every binary; std's `thread::Builder` elsewhere).
//! - `child/`: for `exec`, `wait_unreaped(&Child)`, which waits for the child to end without
//!   reaping it (its number stays its own, so a signal passed on cannot reach another
//!   process), `ended_by(ExitStatus) -> Ending`, how it ended, `pass_on(pid, Signal)` and
//!   `leads_session()`.
//! - `terminal/`: `record_terminal() -> io::Result<Option<Terminal>>` and
//!   `Terminal::restore` (termios on Unix, console modes on Windows, then the reset bytes);
//!   on Unix `Terminal::{fd, state}` for the guardian, and `restore_terminal_from`, what the
//!   guardian does with them.
//! - `ascii.rs`: numbers and paths as bytes, without allocating.
//! - `published.rs`: [`Published`], a `&'static T` a signal handler can read.

#[cfg(unix)]
pub(crate) mod ascii;
mod child;
mod published;
mod signal;
mod spawn;
mod terminal;
mod thread;
mod wake;

pub(crate) use self::child::*;
pub(crate) use self::published::Published;
pub(crate) use self::signal::*;
pub(crate) use self::spawn::spawn;
#[cfg(unix)]
pub(crate) use self::terminal::restore_from as restore_terminal_from;
pub(crate) use self::terminal::{quiet_thread, record as record_terminal, Terminal};
pub(crate) use self::thread::*;
pub(crate) use self::wake::{wake, Waker};

/// What [`catch`] did with a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(unix), allow(dead_code))] // only Unix has an inherited `SIG_IGN` to keep
pub(crate) enum Caught {
    /// The handler is installed.
    Yes,
    /// The process started with this signal ignored (`nohup`, `cmd &`): it stays ignored.
    IgnoredByParent,
}

/// What a signal handler does once the delivery is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Wake the signal thread.
    Wake,
    /// Nothing: the request is already being served.
    Nothing,
    /// End the process now, by this signal.
    Die,
    /// As if on-exit were not there (a forked child without a runtime of its own, or a
    /// runtime without its thread): the handler installed before on-exit's ran, or one
    /// installed after it runs; with neither, the signal's default action.
    Pass,
    /// Send the signal on to this process (the child `exec` runs), and nothing more.
    #[cfg_attr(not(unix), allow(dead_code))] // only Unix passes signals on
    Forward(i32),
}

/// Who sent a signal, as far as the platform tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(unix), allow(dead_code))] // Windows' console events all come from the console
pub(crate) enum Sender {
    /// The terminal (the kernel's tty driver): Ctrl-C, Ctrl-\\, a hang-up, and Windows'
    /// console events. They go to the whole foreground process group.
    Terminal,
    /// A process, with `kill` (a supervisor's `kill PID`): to this process alone, unless it
    /// named a group.
    Process,
}

/// How a child process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// With this exit code.
    Code(i32),
    /// Killed by this signal (its raw number).
    #[cfg_attr(not(unix), allow(dead_code))]
    Signal(i32),
}
