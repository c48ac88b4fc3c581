//! Which process and thread this is, on Unix, and the one fork handler.

use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, AtomicU64, Ordering};

/// Forks seen by this process's line of descent: each child counts one more than its parent.
static FORKS: AtomicU64 = AtomicU64::new(0);
/// This process's id, refreshed in a forked child; 0 until the fork handler is registered.
static PID: AtomicU32 = AtomicU32::new(0);
/// A descriptor that a forked child closes at once (the guardian's channel, see
/// [`close_in_forked_child`]); -1 for none.
static CLOSED_IN_CHILD: AtomicI32 = AtomicI32::new(-1);
/// This process's number ([`process`]), in a page that the kernel zeroes in every child made
/// from this process (`MADV_WIPEONFORK`, Linux 4.14+), by `fork` or by any other copy of its
/// memory (`clone`, `_Fork`), fork handlers or not: the page is mapped with the number in it,
/// so a child that finds 0 knows it is a new process and takes a number of its own. A child
/// that shares the memory (`vfork`, `CLONE_VM`) finds its parent's: see [`owns_its_memory`].
/// Null where the page cannot be had (then [`process_verified`] asks the kernel each time).
static VERIFIED: AtomicPtr<AtomicU64> = AtomicPtr::new(std::ptr::null_mut());
/// The one `pthread_atfork` registration of the runtime: [`UNWATCHED`], [`REGISTERING`],
/// [`WATCHED`] or [`UNWATCHABLE`]. Not a `Once`: a child forked while another thread of its
/// parent was registering would inherit it locked, and wait for ever.
static WATCHING: AtomicU32 = AtomicU32::new(UNWATCHED);
const UNWATCHED: u32 = 0;
const REGISTERING: u32 = 1;
const WATCHED: u32 = 2;
const UNWATCHABLE: u32 = 3;

/// Runs in the child right after `fork`, while it has one thread: only atomics, `getpid` and
/// `close`, all async-signal-safe.
extern "C" fn forked() {
    FORKS.fetch_add(1, Ordering::Relaxed);
    PID.store(std::process::id(), Ordering::Relaxed);
    let fd = CLOSED_IN_CHILD.swap(-1, Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: the descriptor is the child's copy of one that belongs to the parent and
        // that nothing in the child uses (its owner checks `process()` first).
        unsafe { libc::close(fd) };
    }
}

/// Registers [`forked`] once; whether it is registered. Never waits: a thread that finds
/// another registering (or a child forked meanwhile, where it never will be) is told no, and
/// asks the kernel for the process id instead of the cache. Also maps [`VERIFIED`], with this
/// process's number in it. Runs once per process: kept out of line, not copied by the optimizer
/// into every check of the process's number (it was, 29 times in one function: 12 KiB).
#[cold]
#[inline(never)]
fn watch_forks() -> bool {
    match WATCHING.compare_exchange(UNWATCHED, REGISTERING, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {
            // SAFETY: `forked` only uses atomics, getpid and close, which are allowed in the
            // child of a multi-threaded fork; the other two handlers are absent.
            let watched = unsafe { libc::pthread_atfork(None, None, Some(forked)) } == 0;
            let pid = std::process::id();
            if watched {
                PID.store(pid, Ordering::Relaxed);
            }
            let page = wiped_on_fork();
            if !page.is_null() {
                let number = (FORKS.load(Ordering::Relaxed) << 32) | u64::from(pid);
                // SAFETY: the page `wiped_on_fork` just mapped, never unmapped.
                unsafe { &*page }.store(number, Ordering::Release);
                VERIFIED.store(page, Ordering::Release);
            }
            let state = if watched { WATCHED } else { UNWATCHABLE };
            WATCHING.store(state, Ordering::Release);
            watched
        }
        Err(state) => state == WATCHED,
    }
}

/// This process, as a number that no other process of the program has had: its id, and the
/// number of forks between the program's start and it (an id alone may be reused by a
/// grandchild, or be the same in a new PID namespace). Async-signal-safe once called (it
/// registers the fork handler on its first call).
///
/// On Linux it lives in [`VERIFIED`], which a child finds zeroed whichever way it was made
/// (`fork`, glibc's `clone` or `_Fork` without fork handlers, a new PID namespace): such a
/// child counts one more fork and keeps its own number from then on, with one `getpid`.
/// Elsewhere the number is cached by the fork handler and taken on trust: see
/// [`process_verified`].
pub(crate) fn process() -> u64 {
    if let Some(page) = page() {
        let known = page.load(Ordering::Acquire);
        return if known == 0 { new_process(page) } else { known };
    }
    cached()
}

/// [`process`], and where no [`VERIFIED`] page could be had, checked against the kernel's id
/// of this process (one `getpid`): a child made without `fork` (glibc's `clone`, `_Fork`),
/// which runs no fork handler, or one that a signal reaches before its fork handler has run,
/// is never taken for its parent. It gets a number of its own, which the cache keeps from
/// then on. Async-signal-safe.
pub(crate) fn process_verified() -> u64 {
    if page().is_some() {
        return process();
    }
    let cached = cached();
    let real = std::process::id();
    if cached & u64::from(u32::MAX) == u64::from(real) {
        return cached;
    }
    let forks = FORKS.fetch_add(1, Ordering::Relaxed) + 1;
    PID.store(real, Ordering::Relaxed);
    (forks << 32) | u64::from(real)
}

/// Whether this process has memory of its own (not shared with the process whose number
/// [`VERIFIED`] holds): `false` in a child that shares its parent's memory (`vfork` before its
/// `exec`, `clone` with `CLONE_VM`), which must act as if on-exit were not there, and must not
/// write what its parent reads. One `getpid`; `true` where there is no page to tell.
pub(crate) fn owns_its_memory() -> bool {
    let Some(page) = page() else {
        return true;
    };
    let known = page.load(Ordering::Acquire);
    known == 0 || known & u64::from(u32::MAX) == u64::from(std::process::id())
}

/// The number cached by the fork handler (or the kernel's id before it is registered).
fn cached() -> u64 {
    let pid = if WATCHING.load(Ordering::Acquire) == WATCHED || watch_forks() {
        PID.load(Ordering::Relaxed)
    } else {
        // The handler is not registered (yet): ask each time.
        std::process::id()
    };
    (FORKS.load(Ordering::Relaxed) << 32) | u64::from(pid)
}

/// [`VERIFIED`]'s page, once mapped (the first call maps it, with the fork handler).
fn page() -> Option<&'static AtomicU64> {
    if WATCHING.load(Ordering::Acquire) == UNWATCHED {
        watch_forks();
    }
    let page = VERIFIED.load(Ordering::Acquire);
    // SAFETY: a non-null VERIFIED points to the page `wiped_on_fork` mapped, never unmapped.
    (!page.is_null()).then(|| unsafe { &*page })
}

/// The first look at [`VERIFIED`] in a process that found it zeroed: a copy of a process that
/// had a number (the page is mapped with the number in it, and zeroed only in a copy), so a new
/// process, whatever its id says (a new PID namespace may give it its parent's).
fn new_process(page: &AtomicU64) -> u64 {
    let forks = FORKS.fetch_add(1, Ordering::Relaxed) + 1;
    let pid = std::process::id();
    PID.store(pid, Ordering::Relaxed);
    // A signal handler of this thread may have found it first: one number per process.
    match page.compare_exchange(
        0,
        (forks << 32) | u64::from(pid),
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => (forks << 32) | u64::from(pid),
        Err(first) => first,
    }
}

/// Maps the page behind [`VERIFIED`] (once per program: children inherit it, zeroed); null
/// where the kernel cannot zero it in a child (before Linux 4.14, or not Linux).
fn wiped_on_fork() -> *mut AtomicU64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sysconf has no preconditions.
        let Ok(size) = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }) else {
            return std::ptr::null_mut();
        };
        // SAFETY: a fresh private anonymous mapping, checked before use; zero-filled, which
        // is an AtomicU64 of 0 at its page-aligned start.
        unsafe {
            let page = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if page == libc::MAP_FAILED {
                return std::ptr::null_mut();
            }
            if libc::madvise(page, size, libc::MADV_WIPEONFORK) != 0 {
                libc::munmap(page, size);
                return std::ptr::null_mut();
            }
            page.cast()
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        std::ptr::null_mut()
    }
}

/// Makes a forked child close `fd` at once: a descriptor of the parent's that a child must
/// not keep open (one at a time: the guardian's channel).
pub(crate) fn close_in_forked_child(fd: i32) {
    watch_forks();
    CLOSED_IN_CHILD.store(fd, Ordering::Relaxed);
}

/// Undoes [`close_in_forked_child`] for `fd`, if it is still the one.
pub(crate) fn keep_in_forked_child(fd: i32) {
    let _ = CLOSED_IN_CHILD.compare_exchange(fd, -1, Ordering::Relaxed, Ordering::Relaxed);
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
