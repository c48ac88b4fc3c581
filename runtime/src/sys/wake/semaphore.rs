//! The signal thread's wake-up on Unix systems but Apple's: a POSIX semaphore, as ctrlc uses
//! (`sem_post` is async-signal-safe, and a futex wake-up is quicker than a pipe's).

use std::cell::UnsafeCell;
use std::io;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
/// The process (`sys::process()`) whose waker uses the semaphore: as with the pipe, each
/// process has its own (a forked child's copy of the semaphore is private to it).
static SEMAPHORE_OF: AtomicU64 = AtomicU64::new(0);

/// The signal thread's side of the semaphore.
pub(crate) struct Waker(());

impl Waker {
    pub(crate) fn new() -> io::Result<Waker> {
        let process = crate::sys::process();
        if SEMAPHORE_OF.load(Ordering::Acquire) == process {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "already created",
            ));
        }
        // A forked child has its own copy of the semaphore, already initialised: it keeps
        // it (posts left from the parent only cost the new thread one extra look).
        if SEMAPHORE_READY.load(Ordering::Acquire) {
            SEMAPHORE_OF.store(process, Ordering::Release);
            return Ok(Waker(()));
        }
        // SAFETY: the semaphore lives in a static and is initialised once per program
        // image (SEMAPHORE_READY), private to this process (pshared 0), at 0.
        if unsafe { libc::sem_init(SEMAPHORE.0.get(), 0, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        SEMAPHORE_READY.store(true, Ordering::Release);
        SEMAPHORE_OF.store(process, Ordering::Release);
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
            {}
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
        // awake anyway. The handler restores errno.
        unsafe { libc::sem_post(SEMAPHORE.0.get()) };
    }
}
