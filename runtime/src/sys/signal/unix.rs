//! Unix: `sigaction` handlers that chain to the handler each signal had before (as
//! signal-hook's registry does, and as a registry installed later chains to this one),
//! `atexit`, and dying by the signal at the end.

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void};
use std::io;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::sys::wake::wake;
use crate::sys::{Action, Caught, Sender};
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

/// What the handler reports each delivery to (one function for every signal).
static DELIVER: OnceLock<fn(Signal, u64, Sender) -> Action> = OnceLock::new();

/// The disposition a caught signal had before on-exit's handler, which the handler chains to:
/// one per raw signal number, written once when the handler is installed.
struct Previous {
    ready: AtomicBool,
    action: UnsafeCell<MaybeUninit<libc::sigaction>>,
}

// SAFETY: `action` is written only by `catch`, before `ready` is set (Release) and before the
// handler that reads it is installed; the handler reads it only after seeing `ready` (Acquire).
unsafe impl Sync for Previous {}

static PREVIOUS: [Previous; 32] = {
    #[allow(clippy::declare_interior_mutable_const)] // only to build the array below
    const NOT_YET: Previous = Previous {
        ready: AtomicBool::new(false),
        action: UnsafeCell::new(MaybeUninit::uninit()),
    };
    [NOT_YET; 32]
};

fn signal_of(raw: c_int) -> Option<Signal> {
    let signals = [
        Signal::Interrupt,
        Signal::Terminate,
        Signal::Hangup,
        Signal::Quit,
    ];
    for signal in &signals {
        if raw_number(*signal) == Some(raw) {
            return Some(*signal);
        }
    }
    None
}

/// Installs the handler for `signal`, unless the process started with it ignored.
///
/// In the handler, `deliver` records the delivery in the state machine (atomics only) and
/// answers what to do: wake the signal thread, nothing, end the process now, or pass (as if
/// on-exit were not there). The handler installed before on-exit's, if any, runs first, as
/// signal-hook's registry runs the handler it found; one installed after it (signal-hook's
/// registry, tokio's) runs on-exit's first the same way. While `exec` runs a child, the answer
/// may be to forward the signal to it.
pub(crate) fn catch(
    signal: Signal,
    deliver: fn(Signal, u64, Sender) -> Action,
) -> io::Result<Caught> {
    let raw = raw_number(signal).ok_or(io::ErrorKind::Unsupported)?;
    let previous = PREVIOUS
        .get(usize::try_from(raw).unwrap_or(usize::MAX))
        .ok_or(io::ErrorKind::Unsupported)?;
    let current = disposition(raw)?;
    if current.sa_sigaction == libc::SIG_IGN {
        return Ok(Caught::IgnoredByParent);
    }
    if current.sa_sigaction == handler as Handler as libc::sighandler_t {
        return Ok(Caught::Yes);
    }
    DELIVER.get_or_init(|| deliver);
    // SAFETY: only `catch` writes `action`, once per signal (the handler is not installed yet,
    // so nothing reads it); `ready` publishes it.
    unsafe { (*previous.action.get()).write(current) };
    previous.ready.store(true, Ordering::Release);
    let mut ours = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: `ours` is a zeroed sigaction whose handler, flags and mask are set before
    // sigaction reads it.
    let installed = unsafe {
        let new = ours.as_mut_ptr();
        (*new).sa_sigaction = handler as Handler as libc::sighandler_t;
        (*new).sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        libc::sigemptyset(&mut (*new).sa_mask);
        libc::sigaction(raw, ours.as_ptr(), ptr::null_mut())
    };
    if installed != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Caught::Yes)
}

type Handler = extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void);

/// The handler of every caught signal. Async-signal-safe: it saves and restores `errno`,
/// calls the previous handler, and `deliver` only touches atomics; `now_ns` calls
/// `clock_gettime`, `wake` `sem_post` (or `write` on a non-blocking pipe), `die_by`
/// `sigaction`, `pthread_sigmask`, `raise` and `_exit`; none allocates or takes a lock.
extern "C" fn handler(raw: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let errno = errno::get();
    let previous = chain(raw, info, context);
    if let (Some(signal), Some(deliver)) = (signal_of(raw), DELIVER.get()) {
        match deliver(signal, now_ns(), sender(info)) {
            Action::Wake => wake(),
            Action::Die => die_by(signal),
            // SAFETY: kill is async-signal-safe and has no memory-safety preconditions.
            Action::Forward(pid) => unsafe {
                libc::kill(pid, raw);
            },
            // As if on-exit were not there: the previous handler ran; with none, the default
            // action, unless a handler installed after on-exit's is the one now (it runs its
            // own after calling this one).
            Action::Pass if previous == libc::SIG_DFL && installed_is_ours(raw) => die_by(signal),
            Action::Nothing | Action::Pass => {}
        }
    }
    errno::set(errno);
}

/// Who sent the signal: the tty driver sends Ctrl-C, Ctrl-\\ and a hang-up from the kernel
/// (`SI_KERNEL` on Linux; no sending process elsewhere), `kill` from a process (`SI_USER`,
/// with its pid). (FreeBSD and macOS are only built, not run: their tty signals are assumed
/// to carry no sender's pid.) Async-signal-safe: it reads the siginfo the kernel filled.
fn sender(info: *mut libc::siginfo_t) -> Sender {
    // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo (null is checked anyway).
    let Some(info) = (unsafe { info.as_ref() }) else {
        return Sender::Process;
    };
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let from_kernel = info.si_code == libc::SI_KERNEL;
    // Elsewhere the terminal's signals name no sending process.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    // SAFETY: si_pid is set for every signal a process sends, and zero otherwise.
    let from_kernel = unsafe { info.si_pid() } == 0;
    if from_kernel {
        Sender::Terminal
    } else {
        Sender::Process
    }
}

/// Runs the handler that was installed before on-exit's, if it was one; returns what it was
/// (`SIG_DFL` when there was none to run).
fn chain(raw: c_int, info: *mut libc::siginfo_t, context: *mut c_void) -> libc::sighandler_t {
    let Some(previous) = PREVIOUS.get(usize::try_from(raw).unwrap_or(usize::MAX)) else {
        return libc::SIG_DFL;
    };
    if !previous.ready.load(Ordering::Acquire) {
        return libc::SIG_DFL;
    }
    // SAFETY: `ready` says `catch` wrote the value, and nothing writes it again.
    let previous = unsafe { (*previous.action.get()).assume_init_ref() };
    let address = previous.sa_sigaction;
    if address == libc::SIG_DFL || address == libc::SIG_IGN {
        return address;
    }
    let function = address as *const ();
    if previous.sa_flags & libc::SA_SIGINFO == 0 {
        // SAFETY: without SA_SIGINFO, the address is a handler taking the signal number, as
        // the installer gave it to sigaction; it is called the way the kernel would call it.
        let function = unsafe { std::mem::transmute::<*const (), extern "C" fn(c_int)>(function) };
        function(raw);
    } else {
        // SAFETY: with SA_SIGINFO, the address is a three-argument handler; it gets the
        // kernel's own arguments.
        let function = unsafe { std::mem::transmute::<*const (), Handler>(function) };
        function(raw, info, context);
    }
    address
}

/// Whether on-exit's handler is the one installed for `raw` (no handler was installed over it).
fn installed_is_ours(raw: c_int) -> bool {
    match disposition(raw) {
        Ok(current) => current.sa_sigaction == handler as Handler as libc::sighandler_t,
        Err(_) => false,
    }
}

/// The current disposition of `raw`. Async-signal-safe.
fn disposition(raw: c_int) -> io::Result<libc::sigaction> {
    let mut current = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action makes sigaction only read the current one into `current`,
    // which points to writable memory of the right type.
    if unsafe { libc::sigaction(raw, ptr::null(), current.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: sigaction succeeded, so it filled `current`; all-zero was already a valid value.
    Ok(unsafe { current.assume_init() })
}

/// `errno`, which a signal handler must leave as it found it.
mod errno {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn location() -> *mut libc::c_int {
        // SAFETY: returns the calling thread's errno; no preconditions.
        unsafe { libc::__errno_location() }
    }

    #[cfg(any(target_vendor = "apple", target_os = "freebsd"))]
    fn location() -> *mut libc::c_int {
        // SAFETY: returns the calling thread's errno; no preconditions.
        unsafe { libc::__error() }
    }

    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_vendor = "apple",
        target_os = "freebsd"
    )))]
    fn location() -> *mut libc::c_int {
        std::ptr::null_mut()
    }

    pub(super) fn get() -> libc::c_int {
        let location = location();
        if location.is_null() {
            return 0;
        }
        // SAFETY: a non-null location is the thread's errno, valid for the thread's life.
        unsafe { *location }
    }

    pub(super) fn set(value: libc::c_int) {
        let location = location();
        if !location.is_null() {
            // SAFETY: as above.
            unsafe { *location = value };
        }
    }
}

/// Runs `install` with `signals` blocked on this thread, then restores the thread's mask.
///
/// A signal sent while the handlers are being installed stays pending and is delivered once
/// all of them are in place, so that a burst of two signals at the first statement of `main`
/// never meets one handler installed and the other not yet. (Only this thread blocks them: on
/// the first statement of `main` it is usually the only one.)
pub(crate) fn holding<R>(signals: &[Signal], install: impl FnOnce() -> R) -> R {
    let mut held = MaybeUninit::<libc::sigset_t>::zeroed();
    let mut previous = MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: sigemptyset initialises `held` before sigaddset and pthread_sigmask read it;
    // pthread_sigmask fills `previous`, which is only read after a successful call.
    let blocked = unsafe {
        libc::sigemptyset(held.as_mut_ptr());
        for signal in signals {
            if let Some(raw) = raw_number(*signal) {
                libc::sigaddset(held.as_mut_ptr(), raw);
            }
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
#[cfg(feature = "__test-hooks")]
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

/// Nothing to do: `exit` runs the `atexit` hook on every thread, a cleanup's included.
#[allow(clippy::unnecessary_wraps)] // the same signature as on Windows, where it can fail
pub(crate) fn at_exit_in_cleanup(_hook: fn()) -> io::Result<()> {
    Ok(())
}

/// Nothing to mark (see [`at_exit_in_cleanup`]).
pub(crate) fn mark_cleanup(_running: bool) {}

/// Ends the process the way `signal` would have without a handler, so that the parent sees
/// `WIFSIGNALED` and a shell `$?` = 128 + N. Async-signal-safe.
///
/// As PID 1 (a container's init) the kernel ignores a signal that has no handler, the re-raise
/// included, so the process ends with `_exit(128 + N)` instead, never with a crash.
pub(crate) fn die_by(signal: Signal) -> ! {
    die_by_raw(raw_number(signal).unwrap_or(libc::SIGTERM))
}

/// Ends the process by the signal numbered `raw`, as [`die_by`] does, without a core dump:
/// for `exec`, whose child may have ended by any signal (`SIGKILL`, `SIGSEGV`, ...). The
/// child's core dump, if any, is the one that tells.
pub(crate) fn die_like_a_child(raw: i32) -> ! {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads one valid rlimit; lowering a limit needs no privilege.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, std::ptr::addr_of!(none)) };
    die_by_raw(raw)
}

/// [`die_by`] for a raw signal number. Async-signal-safe.
fn die_by_raw(raw: i32) -> ! {
    if std::process::id() != 1 {
        let mut default = MaybeUninit::<libc::sigaction>::zeroed();
        let mut only_this = MaybeUninit::<libc::sigset_t>::zeroed();
        // SAFETY: all calls are async-signal-safe and get valid pointers to local memory. An
        // all-zero sigaction is SIG_DFL with no flags; sigemptyset fills `only_this` before
        // sigaddset and pthread_sigmask read it. Resetting the disposition (over whatever
        // handler is installed) is fine: the process is ending. Once unblocked, the raised
        // signal is delivered before raise returns, and its default action ends the process.
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
