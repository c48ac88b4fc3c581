//! Which process and thread this is, on Unix.

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
        use std::fmt::Write as _;

        use crate::sys::ascii::{number, Path48};

        #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
        const PAUSE: libc::c_long = libc::SYS_pause;
        #[cfg(not(any(target_arch = "x86_64", target_arch = "x86")))]
        const PAUSE: libc::c_long = libc::SYS_rt_sigsuspend;
        if thread == 0 {
            return false;
        }
        // On the stack, with `open` and `read`: this rare path should not bring `String` and
        // `File` into every binary (std's integer formatting is there anyway).
        let mut path = Path48([0; 48], 0);
        if write!(path, "/proc/self/task/{thread}/syscall\0").is_err() {
            return false;
        }
        let mut line = [0_u8; 32];
        // SAFETY: `path` holds a NUL-terminated string; the descriptor is closed below.
        let fd = unsafe { libc::open(path.0.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return false;
        }
        // SAFETY: `fd` is open, and `line` is writable for its whole length.
        let read = unsafe { libc::read(fd, line.as_mut_ptr().cast(), line.len()) };
        // SAFETY: `fd` was opened above and is closed once.
        unsafe { libc::close(fd) };
        let Ok(read) = usize::try_from(read) else {
            return false;
        };
        #[allow(clippy::useless_conversion)] // `c_long` is not `i64` everywhere
        let pause = i64::from(PAUSE);
        // The line starts with the number of the system call, then a space.
        matches!(number(&line[..read]), Some((call, [b' ', ..])) if call == pause)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = thread;
        false
    }
}
