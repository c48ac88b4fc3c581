//! Unix: handlers through signal-hook's registry (it chains other handlers and saves `errno`),
//! a semaphore (a pipe on Apple systems) to wake the signal thread, `atexit`, and dying by the
//! signal at the end.

use std::io;
use std::mem::MaybeUninit;
use std::ptr;

use super::{Action, Caught};
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

pub(crate) fn name(signal: Signal) -> &'static str {
    match signal {
        Signal::Interrupt => "SIGINT",
        Signal::Terminate => "SIGTERM",
        Signal::Hangup => "SIGHUP",
        Signal::Quit => "SIGQUIT",
        Signal::CtrlBreak => "CTRL_BREAK_EVENT",
        Signal::Close => "CTRL_CLOSE_EVENT",
        Signal::Logoff => "CTRL_LOGOFF_EVENT",
        Signal::Shutdown => "CTRL_SHUTDOWN_EVENT",
    }
}

/// How a handler wakes the signal thread: a POSIX semaphore, as ctrlc uses (`sem_post` is
/// async-signal-safe, and a futex wake-up is quicker than a pipe's); on Apple's systems, which
/// have no unnamed semaphores, a pipe.
#[cfg(not(target_vendor = "apple"))]
mod wake {
    use std::cell::UnsafeCell;
    use std::io;
    use std::mem::MaybeUninit;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    /// The semaphore the handlers post and the signal thread waits on, as ctrlc does: `sem_post`
    /// is async-signal-safe, and a futex wake-up is quicker than a pipe's.
    struct Semaphore(UnsafeCell<libc::sem_t>);

    // SAFETY: a POSIX semaphore is made to be shared between threads; every access to the inner
    // value goes through the sem_* functions, after `sem_init` (guarded by `SEMAPHORE_READY`).
    unsafe impl Sync for Semaphore {}

    // SAFETY: all-zero bytes are a valid (not yet initialised) sem_t; `sem_init` runs before use.
    static SEMAPHORE: Semaphore = Semaphore(UnsafeCell::new(unsafe { std::mem::zeroed() }));
    static SEMAPHORE_READY: AtomicBool = AtomicBool::new(false);

    /// The signal thread's side of the semaphore.
    pub(crate) struct Waker(());

    impl Waker {
        pub(crate) fn new() -> io::Result<Waker> {
            // A forked child has its own copy of the semaphore, already initialised: it keeps
            // it (posts left from the parent only cost the new thread one extra look).
            if SEMAPHORE_READY.load(Ordering::Acquire) {
                return Ok(Waker(()));
            }
            // SAFETY: the semaphore lives in a static and is initialised once per program
            // image (SEMAPHORE_READY), private to this process (pshared 0), at 0.
            if unsafe { libc::sem_init(SEMAPHORE.0.get(), 0, 0) } != 0 {
                return Err(io::Error::last_os_error());
            }
            SEMAPHORE_READY.store(true, Ordering::Release);
            Ok(Waker(()))
        }

        /// Blocks, using no CPU, until a handler wakes the thread or `timeout` passes.
        #[allow(clippy::unused_self)] // the same signature as the pipe's waker
        pub(crate) fn wait(&self, timeout: Option<Duration>) {
            let semaphore = SEMAPHORE.0.get();
            let Some(timeout) = timeout else {
                // The signal's latency path: one futex wait. Retried if a signal interrupts it.
                // SAFETY: the semaphore was initialised by `Waker::new`.
                while unsafe { libc::sem_wait(semaphore) } != 0
                    && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
                {
                }
                return;
            };
            // sem_timedwait takes a CLOCK_REALTIME deadline.
            let mut deadline = MaybeUninit::<libc::timespec>::zeroed();
            // SAFETY: `deadline` points to writable memory for a timespec.
            unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, deadline.as_mut_ptr()) };
            // SAFETY: zero-initialised, and filled by clock_gettime.
            let mut deadline = unsafe { deadline.assume_init() };
            #[allow(clippy::useless_conversion)] // `c_long` is not `i64` everywhere
            let nanos = i64::from(deadline.tv_nsec) + i64::from(timeout.subsec_nanos());
            deadline.tv_sec += libc::time_t::try_from(timeout.as_secs())
                .unwrap_or(libc::time_t::MAX / 2)
                + libc::time_t::from(nanos >= 1_000_000_000);
            deadline.tv_nsec = (nanos % 1_000_000_000) as _;
            // SAFETY: the semaphore was initialised; `deadline` is a valid timespec.
            while unsafe { libc::sem_timedwait(semaphore, std::ptr::addr_of!(deadline)) } != 0
                && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
            {}
        }
    }

    /// Wakes the signal thread. Async-signal-safe.
    pub(crate) fn wake() {
        if SEMAPHORE_READY.load(Ordering::Acquire) {
            // SAFETY: the semaphore was initialised (SEMAPHORE_READY) and lives in a static;
            // sem_post is async-signal-safe. An overflow (EOVERFLOW) cannot matter: the thread is
            // awake anyway. signal-hook restores errno after the handler.
            unsafe { libc::sem_post(SEMAPHORE.0.get()) };
        }
    }
}

#[cfg(target_vendor = "apple")]
mod wake {
    use std::io;
    use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
    use std::sync::OnceLock;
    use std::time::Duration;

    /// The write end of the wake-up pipe, for the signal handlers.
    static WAKE: OnceLock<OwnedFd> = OnceLock::new();

    /// The read end of the wake-up pipe: the signal thread sleeps on it.
    pub(crate) struct Waker {
        read: OwnedFd,
    }

    impl Waker {
        pub(crate) fn new() -> io::Result<Waker> {
            let mut fds = [-1; 2];
            // SAFETY: pipe writes two new file descriptors into the two-element array.
            if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: pipe succeeded: both descriptors are open and owned by nothing else.
            let (read, write) =
                unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
            set_flag(&read, libc::F_GETFD, libc::F_SETFD, libc::FD_CLOEXEC)?;
            set_flag(&write, libc::F_GETFD, libc::F_SETFD, libc::FD_CLOEXEC)?;
            // A handler must never block: when the pipe is full, the thread is awake anyway.
            set_flag(&write, libc::F_GETFL, libc::F_SETFL, libc::O_NONBLOCK)?;
            WAKE.set(write)
                .map_err(|_| io::Error::new(io::ErrorKind::AlreadyExists, "already created"))?;
            Ok(Waker { read })
        }

        /// Blocks, using no CPU, until a handler wakes the thread or `timeout` passes.
        pub(crate) fn wait(&self, timeout: Option<Duration>) {
            let timeout_ms = timeout.map_or(-1, |timeout| {
                i32::try_from(timeout.as_millis().max(1)).unwrap_or(i32::MAX)
            });
            let mut ready = libc::pollfd {
                fd: self.read.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            loop {
                // SAFETY: `ready` is one valid pollfd for an open descriptor.
                let polled = unsafe { libc::poll(std::ptr::addr_of_mut!(ready), 1, timeout_ms) };
                if polled >= 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                    break;
                }
            }
            if ready.revents & libc::POLLIN != 0 {
                let mut buffer = [0_u8; 64];
                // SAFETY: the buffer is valid for 64 bytes; the pipe is readable, so this
                // does not block. What it reads is only wake-up bytes.
                unsafe {
                    libc::read(
                        self.read.as_raw_fd(),
                        buffer.as_mut_ptr().cast(),
                        buffer.len(),
                    )
                };
            }
        }
    }

    /// Adds `flag` to a descriptor's flags (`F_GETFD`/`F_SETFD` or `F_GETFL`/`F_SETFL`).
    fn set_flag(fd: &OwnedFd, get: i32, set: i32, flag: i32) -> io::Result<()> {
        // SAFETY: fcntl on an open descriptor we own, with integer arguments only.
        let flags = unsafe { libc::fcntl(fd.as_raw_fd(), get) };
        // SAFETY: as above.
        if flags == -1 || unsafe { libc::fcntl(fd.as_raw_fd(), set, flags | flag) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Wakes the signal thread. Async-signal-safe.
    pub(crate) fn wake() {
        if let Some(write) = WAKE.get() {
            // SAFETY: the fd is open for the whole process (it lives in a static), the buffer
            // is one valid byte, and write is async-signal-safe. A full pipe (EAGAIN) is
            // fine: the thread already has a wake-up waiting.
            unsafe { libc::write(write.as_raw_fd(), b"!".as_ptr().cast(), 1) };
        }
    }
}

use wake::wake;
pub(crate) use wake::Waker;

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
    // touches atomics and calls getpid, `now_ns` calls clock_gettime, `wake` calls sem_post (or write on a
    // non-blocking pipe), and `die_by` calls only sigaction, pthread_sigmask, raise, getpid and
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
fn now_ns() -> u64 {
    let mut now = MaybeUninit::<libc::timespec>::zeroed();
    // SAFETY: `now` points to writable memory for a timespec; clock_gettime is
    // async-signal-safe and CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, now.as_mut_ptr()) };
    // SAFETY: zero-initialised, and filled by clock_gettime.
    let now = unsafe { now.assume_init() };
    u64::try_from(now.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(now.tv_nsec).unwrap_or(0)
}

/// The id of this process, without a system call: cached, and refreshed in a forked child by
/// a `pthread_atfork` handler (registered by the first call). Async-signal-safe once called.
pub(crate) fn pid() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Once;

    static PID: AtomicU32 = AtomicU32::new(0);
    static WATCH_FORKS: Once = Once::new();
    /// Runs in the child right after `fork`, while it has one thread.
    extern "C" fn refresh() {
        PID.store(std::process::id(), Ordering::Relaxed);
    }

    let pid = PID.load(Ordering::Relaxed);
    if pid != 0 {
        return pid;
    }
    let mut watching = false;
    WATCH_FORKS.call_once(|| {
        // SAFETY: `refresh` only calls getpid and stores an atomic, which is allowed in the
        // child of a multi-threaded fork; the other two handlers are absent.
        watching = unsafe { libc::pthread_atfork(None, None, Some(refresh)) } == 0;
    });
    let pid = std::process::id();
    if watching {
        PID.store(pid, Ordering::Relaxed);
    }
    pid
}

/// A number for the calling thread, unique among the live ones: its kernel thread id on Linux
/// (see [`parked_in_exit`]), its `pthread_t` elsewhere.
pub(crate) fn thread_id() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions and cannot fail.
        let tid = unsafe { libc::gettid() };
        u64::try_from(tid).unwrap_or(0)
    }
    #[cfg(not(target_os = "linux"))]
    {
        // SAFETY: pthread_self has no preconditions and cannot fail.
        #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
        let thread = unsafe { libc::pthread_self() } as u64;
        thread
    }
}

/// Whether `thread` is parked for ever inside `exit`.
///
/// On Linux, std lets only one thread run `exit` (a glibc mitigation): a second thread that
/// calls `std::process::exit` meanwhile sleeps in `pause()` until the process ends. When the
/// first one waits in the exit hook for a cleanup on the second, neither would ever move. The
/// kernel shows the system call a thread sleeps in; `pause` (`rt_sigsuspend` where there is no
/// `pause` call) is that sleep. Elsewhere std does not park, and this is always `false`.
pub(crate) fn parked_in_exit(thread: u64) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::io::{Read as _, Write as _};

        #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
        const PAUSE: libc::c_long = libc::SYS_pause;
        #[cfg(not(any(target_arch = "x86_64", target_arch = "x86")))]
        const PAUSE: libc::c_long = libc::SYS_rt_sigsuspend;
        if thread == 0 {
            return false;
        }
        // On the stack, with no `String`: this rare path should not grow every binary.
        let mut path = [0_u8; 48];
        let mut writer = &mut path[..];
        let _ = write!(writer, "/proc/self/task/{thread}/syscall");
        let length = 48 - writer.len();
        let Ok(path) = std::str::from_utf8(&path[..length]) else {
            return false;
        };
        let mut line = [0_u8; 32];
        let read = std::fs::File::open(path).and_then(|mut file| file.read(&mut line));
        let Ok(read) = read else {
            return false;
        };
        let number = line[..read]
            .split(|byte| *byte == b' ')
            .next()
            .unwrap_or_default();
        std::str::from_utf8(number)
            .ok()
            .and_then(|n| n.parse().ok())
            == Some(PAUSE)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = thread;
        false
    }
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
