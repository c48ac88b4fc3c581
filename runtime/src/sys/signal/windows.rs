//! Windows: console control events through `SetConsoleCtrlHandler`, the C runtime's `atexit`,
//! a fiber-local slot that sees a cleanup's `ExitProcess`, and `STATUS_CONTROL_C_EXIT` at the
//! end.
//!
//! Windows runs the handler on a thread it creates in the process, so unlike a Unix signal
//! handler it may lock and wait. For `CTRL_CLOSE_EVENT`, `CTRL_LOGOFF_EVENT` and
//! `CTRL_SHUTDOWN_EVENT`, returning from the handler ends the process, so the handler does not
//! return: it waits until the cleanup has ended the process, at most [`CLOSE_DEADLINE`].

use std::ffi::c_void;
use std::io;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

use windows_sys::core::BOOL;
use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;
use windows_sys::Win32::System::Threading::{
    FlsAlloc, FlsSetValue, GetCurrentProcess, Sleep, TerminateProcess, FLS_OUT_OF_INDEXES,
};

use crate::sys::wake::wake;
use crate::sys::{Action, Caught, Sender};
use crate::Signal;

/// Ctrl-C, Ctrl-Break, the console window closing and the system shutting down.
///
/// Not `CTRL_LOGOFF_EVENT`: it also reaches services and programs of other sessions whenever
/// any user logs off (an interactive program of that user is ended before it is sent), so a
/// handler that ends the process on it kills a service at every logoff. `signals(logoff)`
/// opts in.
pub(crate) const DEFAULT_SIGNALS: &[Signal] = &[
    Signal::Interrupt,
    Signal::CtrlBreak,
    Signal::Close,
    Signal::Shutdown,
];

/// `STATUS_CONTROL_C_EXIT`: how the default console handler ends a process.
const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;

/// How long the handler holds a closing console open for the cleanup: below the 5 s that
/// Windows grants for `CTRL_CLOSE_EVENT`, `CTRL_LOGOFF_EVENT` and `CTRL_SHUTDOWN_EVENT`
/// (`SPI_GETHUNGAPPTIMEOUT`), so that the process ends deliberately rather than being killed.
pub(crate) const CLOSE_DEADLINE: Duration = Duration::from_millis(4_500);

pub(crate) fn raw_number(signal: Signal) -> Option<i32> {
    match signal {
        Signal::Interrupt => Some(0),
        Signal::CtrlBreak => Some(1),
        Signal::Close => Some(2),
        Signal::Logoff => Some(5),
        Signal::Shutdown => Some(6),
        Signal::Terminate | Signal::Hangup | Signal::Quit => None,
    }
}

/// The events the handler answers for ([`Signal::code`] bits); others go to the next handler.
static SELECTED: AtomicU16 = AtomicU16::new(0);
static DELIVER: OnceLock<fn(Signal, u64, Sender) -> Action> = OnceLock::new();
static INSTALL: Once = Once::new();
static START: OnceLock<Instant> = OnceLock::new();

/// Runs `install`: console events cannot be lost while a handler is being added.
pub(crate) fn holding<R>(_signals: &[Signal], install: impl FnOnce() -> R) -> R {
    install()
}

/// Monotonic time in nanoseconds, counted from the first handler's installation.
pub(crate) fn now_ns() -> u64 {
    let start = START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Answers `signal` in the console handler.
pub(crate) fn catch(
    signal: Signal,
    deliver: fn(Signal, u64, Sender) -> Action,
) -> io::Result<Caught> {
    raw_number(signal).ok_or(io::ErrorKind::Unsupported)?;
    DELIVER.get_or_init(|| deliver);
    START.get_or_init(Instant::now);
    let mut installed = Ok(());
    INSTALL.call_once(|| {
        // SAFETY: `console_handler` has the signature Windows expects and lives for the whole
        // program; adding a handler has no other precondition.
        if unsafe { SetConsoleCtrlHandler(Some(console_handler), 1) } == 0 {
            installed = Err(io::Error::last_os_error());
        }
    });
    installed?;
    SELECTED.fetch_or(1_u16 << signal.code(), Ordering::AcqRel);
    Ok(Caught::Yes)
}

/// The handler routine, run by Windows on a thread it creates. `TRUE`: handled; `FALSE`: the
/// next handler (in the end, the default one) gets the event.
unsafe extern "system" fn console_handler(event: u32) -> BOOL {
    let Some(signal) = i32::try_from(event).ok().and_then(Signal::from_raw) else {
        return 0;
    };
    if SELECTED.load(Ordering::Acquire) & (1_u16 << signal.code()) == 0 {
        return 0;
    }
    let Some(deliver) = DELIVER.get() else {
        return 0;
    };
    // Every console event comes from the console, to every process attached to it.
    match deliver(signal, now_ns(), Sender::Terminal) {
        Action::Wake => wake(),
        Action::Nothing | Action::Forward(_) => {}
        Action::Die => die_by(signal),
        // The next handler (by default, the one that ends the process).
        Action::Pass => return 0,
    }
    if matches!(signal, Signal::Close | Signal::Logoff | Signal::Shutdown) {
        // Returning would end the process now: hold it open while the cleanup runs. The
        // signal thread ends the process when the cleanup is done; the deadline is the last
        // resort, well before Windows would kill the process itself.
        let deadline = Instant::now() + CLOSE_DEADLINE;
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        die_by(signal);
    }
    1
}

/// Calls the installed handler routine with `event` on this thread, the way Windows does on
/// the thread it creates; for tests, since wine does not deliver `CTRL_CLOSE_EVENT` itself.
/// Whether the handler answered `TRUE`.
#[allow(clippy::unnecessary_wraps)] // `None` is the Unix answer
#[cfg(feature = "__test-hooks")]
pub(crate) fn run_console_handler(event: u32) -> Option<bool> {
    // SAFETY: the handler is a plain function of the program; calling it from any thread is
    // what Windows itself does.
    Some(unsafe { console_handler(event) } != 0)
}

/// Registers the hook that the C runtime's `exit` runs after `main` returns.
///
/// `std::process::exit` does not reach it on Windows: it calls `ExitProcess`, which skips the
/// C runtime's `atexit` list. A TLS callback would see `DLL_PROCESS_DETACH` on Windows itself,
/// but wine (where this crate's Windows tests run) never calls it, so that path is not
/// claimed: the README's guarantee table says so. A cleanup's own `exit` is seen, through
/// [`at_exit_in_cleanup`].
pub(crate) fn at_exit(hook: extern "C" fn()) -> io::Result<()> {
    extern "C" {
        fn atexit(hook: extern "C" fn()) -> i32;
    }
    // SAFETY: the C runtime's atexit takes any function that lives for the whole program;
    // `hook` is a plain function that never unwinds.
    if unsafe { atexit(hook) } == 0 {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::OutOfMemory, "atexit failed"))
    }
}

/// The fiber-local slot that marks a thread running a cleanup (see [`at_exit_in_cleanup`]),
/// `FLS_OUT_OF_INDEXES` until it is allocated.
static CLEANUP_SLOT: AtomicU32 = AtomicU32::new(FLS_OUT_OF_INDEXES);
static EXIT_IN_CLEANUP: OnceLock<fn()> = OnceLock::new();

/// Registers `hook` to run when a thread marked by [`mark_cleanup`] ends the process.
///
/// `std::process::exit` is `ExitProcess`, which ends every other thread of the process at once
/// and skips the C runtime's `atexit` list. What it still runs, on the exiting thread and
/// under the loader lock, are that thread's fiber-local storage callbacks (`FlsAlloc`), before
/// the DLLs' detach code: Windows does (`LdrShutdownProcess` cleans the exiting thread's
/// fiber-local data) and so does wine. So a thread holds a value in this slot while it runs a
/// cleanup, and the slot's callback is `hook`. (It also runs if the thread ends in the middle
/// of a cleanup with `ExitThread`.)
pub(crate) fn at_exit_in_cleanup(hook: fn()) -> io::Result<()> {
    EXIT_IN_CLEANUP.get_or_init(|| hook);
    // SAFETY: `exit_in_cleanup` has the signature Windows expects and lives for the whole
    // program; FlsAlloc has no other precondition.
    let slot = unsafe { FlsAlloc(Some(exit_in_cleanup)) };
    if slot == FLS_OUT_OF_INDEXES {
        return Err(io::Error::last_os_error());
    }
    CLEANUP_SLOT.store(slot, Ordering::Release);
    Ok(())
}

/// The slot's callback: Windows calls it for a thread that ends while its value is set.
unsafe extern "system" fn exit_in_cleanup(_value: *const c_void) {
    if let Some(hook) = EXIT_IN_CLEANUP.get() {
        hook();
    }
}

/// Marks this thread as running a cleanup, or no longer: see [`at_exit_in_cleanup`].
pub(crate) fn mark_cleanup(running: bool) {
    let slot = CLEANUP_SLOT.load(Ordering::Acquire);
    if slot == FLS_OUT_OF_INDEXES {
        return;
    }
    // Any non-null value marks the thread (the callback never reads it); null unmarks it.
    let value: *const c_void = if running {
        std::ptr::addr_of!(CLEANUP_SLOT).cast()
    } else {
        std::ptr::null()
    };
    // SAFETY: `slot` was allocated by FlsAlloc and is never freed; FlsSetValue only stores the
    // pointer for this thread, and nothing dereferences it.
    unsafe { FlsSetValue(slot, value) };
}

/// Ends the process the way the default console handler would: `STATUS_CONTROL_C_EXIT`.
pub(crate) fn die_by(_signal: Signal) -> ! {
    // SAFETY: TerminateProcess on the pseudo-handle of the current process has no other
    // precondition. It ends the process without running the C runtime's atexit list (so the
    // exit hook is not re-entered) and without DLL detach code under the loader lock.
    unsafe { TerminateProcess(GetCurrentProcess(), STATUS_CONTROL_C_EXIT) };
    // TerminateProcess only starts the termination of the calling process: wait for it.
    loop {
        // SAFETY: Sleep has no preconditions.
        unsafe { Sleep(u32::MAX) };
    }
}

/// `exec`'s ending like a child killed by a signal: children end with codes here.
#[allow(dead_code)]
pub(crate) fn die_like_a_child(_raw: i32) -> ! {
    std::process::exit(1)
}
