//! Unix: handlers through signal-hook's registry (it chains other handlers and saves `errno`),
//! `atexit`, and dying by the signal at the end.

use std::io;
use std::mem::MaybeUninit;
use std::ptr;

use crate::sys::wake::wake;
use crate::sys::{Action, Caught};
use crate::Signal;

/// Caught when the attribute does not say: Ctrl-C, `SIGTERM`, and the terminal closing.
/// `SIGQUIT` is left alone so that its core dump shows the program as it was.
pub(crate) const DEFAULT_SIGNALS: &[Signal] =
    &[Signal::Interrupt, Signal::Terminate, Signal::Hangup];

pub(crate) fn raw_number(signal: Signal) -> Option<i32> {
    match signal {
        Signal::Interrupt => Some(libc::SIGINT),
        Signal::Terminate => Some(libc::SIGTERM),
        Signal::Hangup => Some(libc::SIGHUP),
        Signal::Quit => Some(libc::SIGQUIT),
        Signal::CtrlBreak | Signal::Close | Signal::Logoff | Signal::Shutdown => None,
    }
}

/// Installs the handler for `signal`, unless the process started with it ignored.
///
/// In the handler, `deliver` records the delivery in the state machine (atomics only) and
/// answers what to do: wake the signal thread, nothing, or end the process now.
pub(crate) fn catch(signal: Signal, deliver: fn(Signal, u64) -> Action) -> io::Result<Caught> {
    let raw = raw_number(signal).ok_or(io::ErrorKind::Unsupported)?;
    if is_ignored(raw)? {
        return Ok(Caught::IgnoredByParent);
    }
    let action = move || match deliver(signal, now_ns()) {
        Action::Wake => wake(),
        Action::Nothing => {}
        Action::Die => die_by(signal),
    };
    // SAFETY: `action` runs inside a signal handler and is async-signal-safe: `deliver` only
    // touches atomics and calls getpid, `now_ns` calls clock_gettime, `wake` calls sem_post
    // (or write on a non-blocking pipe), and `die_by` calls only sigaction, pthread_sigmask, raise, getpid and
    // _exit, all on POSIX's list of async-signal-safe functions. None of them allocates or
    // takes a lock.
    unsafe { signal_hook::low_level::register(raw, action) }?;
    Ok(Caught::Yes)
}

/// Runs `install` with `signals` blocked on this thread, then restores the thread's mask.
///
/// signal-hook's registry installs the `sigaction` a moment before it stores the action; a
/// signal delivered in between finds no action and, with `SIG_DFL` before it, is dropped. A
/// signal blocked meanwhile stays pending and is delivered to the installed handler when the
/// mask is restored. (Only this thread blocks it: on the first statement of `main` it is
/// usually the only one.)
pub(crate) fn holding<R>(signals: &[Signal], install: impl FnOnce() -> R) -> R {
    let mut held = MaybeUninit::<libc::sigset_t>::zeroed();
    let mut previous = MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: sigemptyset initialises `held` before sigaddset and pthread_sigmask read it;
    // pthread_sigmask fills `previous`, which is only read after a successful call.
    let blocked = unsafe {
        libc::sigemptyset(held.as_mut_ptr());
        for raw in signals.iter().filter_map(|signal| raw_number(*signal)) {
            libc::sigaddset(held.as_mut_ptr(), raw);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, held.as_ptr(), previous.as_mut_ptr()) == 0
    };
    let result = install();
    if blocked {
        // SAFETY: `previous` was filled by the successful pthread_sigmask above.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, previous.as_ptr(), ptr::null_mut()) };
    }
    result
}

/// Whether `raw` is set to `SIG_IGN`: inherited from the parent, since nothing before `main`'s
/// first statement could have set it.
fn is_ignored(raw: i32) -> io::Result<bool> {
    let mut current = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action makes sigaction only read the current one into `current`,
    // which points to writable memory of the right type.
    if unsafe { libc::sigaction(raw, ptr::null(), current.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: sigaction succeeded, so it filled `current`; all-zero was already a valid value.
    let current = unsafe { current.assume_init() };
    Ok(current.sa_sigaction == libc::SIG_IGN)
}

/// Monotonic time in nanoseconds. Async-signal-safe.
pub(crate) fn now_ns() -> u64 {
    let mut now = MaybeUninit::<libc::timespec>::zeroed();
    // SAFETY: `now` points to writable memory for a timespec; clock_gettime is
    // async-signal-safe and CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, now.as_mut_ptr()) };
    // SAFETY: zero-initialised, and filled by clock_gettime.
    let now = unsafe { now.assume_init() };
    u64::try_from(now.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(now.tv_nsec).unwrap_or(0)
}

/// Windows console events do not exist here.
#[cfg(feature = "test-hooks")]
pub(crate) fn run_console_handler(_event: u32) -> Option<bool> {
    None
}

/// Registers the hook that `exit` runs.
pub(crate) fn at_exit(hook: extern "C" fn()) -> io::Result<()> {
    // SAFETY: `hook` is a plain function that lives for the whole program and never unwinds.
    if unsafe { libc::atexit(hook) } == 0 {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::OutOfMemory, "atexit failed"))
    }
}

/// Ends the process the way `signal` would have without a handler, so that the parent sees
/// `WIFSIGNALED` and a shell `$?` = 128 + N. Async-signal-safe.
///
/// As PID 1 (a container's init) the kernel ignores a signal that has no handler, the re-raise
/// included, so the process ends with `_exit(128 + N)` instead, never with a crash.
pub(crate) fn die_by(signal: Signal) -> ! {
    let raw = raw_number(signal).unwrap_or(libc::SIGTERM);
    if std::process::id() != 1 {
        let mut default = MaybeUninit::<libc::sigaction>::zeroed();
        let mut only_this = MaybeUninit::<libc::sigset_t>::zeroed();
        // SAFETY: all calls are async-signal-safe and get valid pointers to local memory. An
        // all-zero sigaction is SIG_DFL with no flags; sigemptyset fills `only_this` before
        // sigaddset and pthread_sigmask read it. Resetting the disposition behind signal-hook's
        // back is fine: the process is ending. Once unblocked, the raised signal is delivered
        // before raise returns, and its default action ends the whole process.
        unsafe {
            (*default.as_mut_ptr()).sa_sigaction = libc::SIG_DFL;
            libc::sigemptyset(&mut (*default.as_mut_ptr()).sa_mask);
            libc::sigaction(raw, default.as_ptr(), ptr::null_mut());
            libc::sigemptyset(only_this.as_mut_ptr());
            libc::sigaddset(only_this.as_mut_ptr(), raw);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, only_this.as_ptr(), ptr::null_mut());
            libc::raise(raw);
        }
    }
    // SAFETY: _exit is async-signal-safe and ends the process without running any hook.
    unsafe { libc::_exit(128 + raw) }
}
