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
pub(crate) fn now_ns() -> u64 {
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
        use std::fmt::Write as _;

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

// The guardian (`crate::guardian`): children watched through pidfds, and the process that
// outlives the program.

/// Whether the guardian stops the children (here it does; on Windows a job object does).
pub(crate) const GUARDIAN_KILLS: bool = true;

use std::collections::VecDeque;
use std::ffi::{CStr, OsStr, OsString};
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// The variable that makes a copy of the program its guardian: `v1:` and the program's id,
/// which the copy checks against its parent's so that an inherited variable does nothing.
const GUARDIAN_VARIABLE: &CStr = c"ON_EXIT_GUARDIAN";
/// What the guardian writes once it is ready.
const READY: u8 = b'R';
/// How long the program waits for that: only there to catch a hang.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// A child process watched with a pidfd, which names the process itself and not its number:
/// once the child is reaped, signals through it fail instead of reaching a process that got
/// the number later.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) struct Process {
    pidfd: OwnedFd,
    pid: libc::pid_t,
    /// Whether it led its own process group when it was armed: the group goes with it.
    group: bool,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
impl Process {
    /// The process a pidfd received from the program names.
    pub(crate) fn adopt(pidfd: OwnedFd, pid: i32, group: bool) -> Process {
        Process { pidfd, pid, group }
    }

    pub(crate) fn pid(&self) -> i32 {
        self.pid
    }

    pub(crate) fn leads_group(&self) -> bool {
        self.group
    }

    /// `SIGTERM`, to the group too if it leads one.
    pub(crate) fn stop(&self) {
        self.signal(libc::SIGTERM);
    }

    /// `SIGKILL`, to the group too if it leads one.
    pub(crate) fn kill(&self) {
        self.signal(libc::SIGKILL);
    }

    /// Sends `signal` through the pidfd, then to the group. Once the child has been reaped the
    /// first send fails, and the group is left alone: its number may be another's by then.
    /// Until then (running, or a zombie) the number is taken, so the group is this one.
    fn signal(&self, signal: i32) {
        // SAFETY: pidfd_send_signal takes an open pidfd, a signal number, a null siginfo
        // (meaning "as kill would") and no flags.
        let sent = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.pidfd.as_raw_fd(),
                signal,
                ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if sent == 0 && self.group {
            // SAFETY: kill with a negative number signals that process group; no memory.
            unsafe { libc::kill(-self.pid, signal) };
        }
    }

    /// Whether it has ended (a zombie counts), and so has every other member of its group.
    pub(crate) fn has_exited(&self) -> bool {
        let mut ready = libc::pollfd {
            fd: self.pidfd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for an open pidfd, which polls readable once it has ended.
        let polled = unsafe { libc::poll(ptr::addr_of_mut!(ready), 1, 0) };
        polled == 1 && !(self.group && group_has_live_members(self.pid))
    }

    /// The pidfd, to pass to the guardian.
    fn pidfd(&self) -> RawFd {
        self.pidfd.as_raw_fd()
    }
}

/// Whether a process other than a zombie is in group `group`, from `/proc` (when it cannot be
/// read: yes, so that the caller waits out its grace period).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn group_has_live_members(group: libc::pid_t) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    let group = group.to_string();
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        if !name.as_bytes().iter().all(u8::is_ascii_digit) {
            return false;
        }
        let Ok(stat) = std::fs::read(entry.path().join("stat")) else {
            return false;
        };
        // "pid (comm) state ppid pgrp ...": the command may hold spaces and parentheses.
        let Some(end) = stat.iter().rposition(|byte| *byte == b')') else {
            return false;
        };
        let mut fields = stat[end + 1..]
            .split(u8::is_ascii_whitespace)
            .filter(|field| !field.is_empty());
        let state = fields.next().unwrap_or_default();
        let pgrp = fields.nth(1).unwrap_or_default();
        pgrp == group.as_bytes() && state != b"Z" && state != b"X"
    })
}

/// The child, watched, or `None` if it has already ended (or been reaped).
///
/// Its pidfd is opened first, then checked to be this program's child not yet reaped: if it
/// was reaped before, the number may already name another process, which is not our child.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn watch(child: &Child) -> io::Result<Option<Process>> {
    let pid = libc::pid_t::try_from(child.id()).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: pidfd_open takes a process id and no flags; it returns a new descriptor
    // (close-on-exec) or -1.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if pidfd < 0 {
        let error = io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::ESRCH) => Ok(None),
            Some(libc::ENOSYS) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "kill_on_exit needs pidfds (Linux 5.3 or later)",
            )),
            _ => Err(error),
        };
    }
    // SAFETY: pidfd_open succeeded: the descriptor is open and ours alone.
    let pidfd = unsafe { OwnedFd::from_raw_fd(RawFd::try_from(pidfd).unwrap_or(-1)) };
    let mut info = MaybeUninit::<libc::siginfo_t>::zeroed();
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    // SAFETY: waitid fills `info` (zeroed, so si_pid reads 0 if nothing has ended); WNOWAIT
    // leaves an ended child to be reaped by its owner. P_PIDFD needs Linux 5.4.
    let mut waited = unsafe {
        libc::waitid(
            libc::P_PIDFD,
            pidfd.as_raw_fd().try_into().unwrap_or(0),
            info.as_mut_ptr(),
            flags,
        )
    };
    if waited != 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        // Linux 5.3: by number, checked again after the pidfd was opened.
        // SAFETY: as above.
        waited = unsafe { libc::waitid(libc::P_PID, child.id(), info.as_mut_ptr(), flags) };
    }
    if waited != 0 {
        let error = io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::ECHILD) => Ok(None),
            _ => Err(error),
        };
    }
    // SAFETY: zeroed, then written by waitid; si_pid is the field waitid sets.
    if unsafe { info.assume_init().si_pid() } != 0 {
        return Ok(None);
    }
    // SAFETY: getpgid takes a process id; the child is ours and not reaped, so it is this one.
    let group = unsafe { libc::getpgid(pid) } == pid;
    Ok(Some(Process { pidfd, pid, group }))
}

/// No pidfds here: a child cannot be watched without the risk of signalling another process
/// that got its number, so `kill_on_exit` says so.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) use super::Unwatchable as Process;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[allow(clippy::unused_self)]
impl Process {
    fn pidfd(&self) -> RawFd {
        match *self {}
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn watch(_child: &Child) -> io::Result<Option<Process>> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "kill_on_exit needs pidfds, which only Linux has",
    ))
}

/// A path as the bytes sent to the guardian.
pub(crate) fn path_bytes(path: &Path) -> Vec<u8> {
    path.as_os_str().as_bytes().to_vec()
}

pub(crate) fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    OsString::from_vec(bytes).into()
}

/// The program's end of the channel to its guardian.
pub(crate) struct Link {
    socket: OwnedFd,
}

/// The descriptor of the live [`Link`], which a forked child closes at once (see
/// [`forget_link`]).
static LINK: AtomicI32 = AtomicI32::new(-1);

/// Runs in the child right after `fork`: the link belongs to the parent, and a child that
/// keeps it open would keep the guardian from seeing the parent's end (on systems without
/// pidfds). `close` is async-signal-safe.
extern "C" fn forget_link() {
    let fd = LINK.swap(-1, Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: the descriptor is the child's copy of the parent's link, which nothing in
        // the child uses: the guardian module ignores state made by another process.
        unsafe { libc::close(fd) };
    }
}

impl Link {
    fn new(socket: OwnedFd) -> Link {
        static WATCH_FORKS: std::sync::Once = std::sync::Once::new();
        WATCH_FORKS.call_once(|| {
            // SAFETY: `forget_link` only swaps an atomic and calls close, which is allowed in
            // the child of a multi-threaded fork.
            unsafe { libc::pthread_atfork(None, None, Some(forget_link)) };
        });
        LINK.store(socket.as_raw_fd(), Ordering::Relaxed);
        Link { socket }
    }

    /// Sends `frame`, with the pidfd of `process` attached.
    pub(crate) fn send(&mut self, frame: &[u8], process: Option<&Process>) -> io::Result<()> {
        let mut attached = process.map(Process::pidfd);
        let mut sent = 0;
        while sent < frame.len() {
            match send_part(&self.socket, &frame[sent..], attached) {
                Ok(count) => {
                    sent += count;
                    attached = None;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = LINK.compare_exchange(
            self.socket.as_raw_fd(),
            -1,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
}

/// Room for the control message that carries one descriptor (and a little more: eight).
#[repr(C, align(8))]
struct Control([u8; 64]);

/// One `sendmsg`, with `fd` attached if there is one. Never raises `SIGPIPE`.
fn send_part(socket: &OwnedFd, bytes: &[u8], fd: Option<RawFd>) -> io::Result<usize> {
    let mut part = libc::iovec {
        iov_base: bytes.as_ptr().cast_mut().cast(),
        iov_len: bytes.len(),
    };
    let mut control = Control([0; 64]);
    // SAFETY: an all-zero msghdr is a message with no name and no control data.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = ptr::addr_of_mut!(part);
    message.msg_iovlen = 1;
    if let Some(fd) = fd {
        let size = u32::try_from(std::mem::size_of::<RawFd>()).unwrap_or(4);
        message.msg_control = control.0.as_mut_ptr().cast();
        // SAFETY: CMSG_SPACE only computes a size.
        message.msg_controllen = unsafe { libc::CMSG_SPACE(size) } as _;
        // SAFETY: the control buffer is aligned, zeroed, and larger than CMSG_SPACE(4), so
        // CMSG_FIRSTHDR returns a header inside it with room for one descriptor after it.
        unsafe {
            let header = libc::CMSG_FIRSTHDR(ptr::addr_of!(message));
            (*header).cmsg_level = libc::SOL_SOCKET;
            (*header).cmsg_type = libc::SCM_RIGHTS;
            (*header).cmsg_len = libc::CMSG_LEN(size) as _;
            ptr::write_unaligned(libc::CMSG_DATA(header).cast::<RawFd>(), fd);
        }
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let flags = libc::MSG_NOSIGNAL;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let flags = 0; // SO_NOSIGPIPE is set on the socket instead
                   // SAFETY: `message` points to one iovec over `bytes` and to `control`, all alive here.
    let sent = unsafe { libc::sendmsg(socket.as_raw_fd(), ptr::addr_of!(message), flags) };
    usize::try_from(sent).map_err(|_| io::Error::last_os_error())
}

/// Starts the guardian: a copy of the program's own executable, which the hook below turns
/// into the guardian before its `main`. Returns once the guardian is ready.
pub(crate) fn start_guardian() -> io::Result<Link> {
    if !hook_in_executable() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "on-exit is not in the program's executable (a shared library?), which the guardian is started from",
        ));
    }
    let (ours, theirs) = socket_pair()?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let executable = PathBuf::from("/proc/self/exe");
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let executable = std::env::current_exe()?;
    let variable = OsStr::from_bytes(GUARDIAN_VARIABLE.to_bytes());
    // The first copy forks the guardian and exits at once.
    let mut first = Command::new(executable)
        .arg0("on-exit-guardian")
        .env(variable, guardian_value())
        .stdin(Stdio::from(theirs))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let ready = wait_readable(&ours, HANDSHAKE).and_then(|()| {
        let mut byte = 0_u8;
        // SAFETY: reads at most one byte into `byte`.
        let read = unsafe { libc::read(ours.as_raw_fd(), ptr::addr_of_mut!(byte).cast(), 1) };
        match read {
            1 if byte == READY => Ok(()),
            -1 => Err(io::Error::last_os_error()),
            _ => Err(io::Error::other("it ended before it was ready")),
        }
    });
    if ready.is_err() {
        let _ = first.kill();
    }
    // Reaped here, so that it is never a zombie; the guardian itself is not our child.
    let _ = first.wait();
    ready?;
    Ok(Link::new(ours))
}

/// A connected pair of stream sockets, close-on-exec (and without `SIGPIPE` where there is no
/// `MSG_NOSIGNAL`).
fn socket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let kind = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let kind = libc::SOCK_STREAM;
    // SAFETY: socketpair writes two new descriptors into the two-element array.
    if unsafe { libc::socketpair(libc::AF_UNIX, kind, 0, fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: socketpair succeeded: both descriptors are open and owned by nothing else.
    let pair = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    for fd in [&pair.0, &pair.1] {
        // SAFETY: fcntl on an open socket we own, with integer arguments.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        #[cfg(target_vendor = "apple")]
        {
            let on: i32 = 1;
            // SAFETY: setsockopt on an open socket we own, with a valid 4-byte option value.
            unsafe {
                libc::setsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_NOSIGPIPE,
                    ptr::addr_of!(on).cast(),
                    4,
                )
            };
        }
    }
    Ok(pair)
}

/// Waits until `fd` is readable (or at its end), at most `timeout`.
fn wait_readable(fd: &OwnedFd, timeout: Duration) -> io::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut ready = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let left_ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd for an open descriptor.
        match unsafe { libc::poll(ptr::addr_of_mut!(ready), 1, left_ms) } {
            1 => return Ok(()),
            0 => return Err(io::Error::new(io::ErrorKind::TimedOut, "it did not answer")),
            _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            _ => return Err(io::Error::last_os_error()),
        }
    }
}

/// Whether the hook below is in the program's executable, which is what the guardian runs (in
/// a shared library, the executable is another program). Where that cannot be asked (a static
/// executable has no dynamic symbols), it is: there is nothing else it could be in.
fn hook_in_executable() -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::ffi::c_void;

        let mut hook = MaybeUninit::<libc::Dl_info>::zeroed();
        let mut main = MaybeUninit::<libc::Dl_info>::zeroed();
        // SAFETY: getauxval has no preconditions; AT_ENTRY is the executable's entry point.
        let entry = unsafe { libc::getauxval(libc::AT_ENTRY) } as *const c_void;
        let hook_address = guardian_hook as extern "C" fn() as *const c_void;
        // SAFETY: dladdr reads the loader's tables and fills the Dl_info it is given.
        let found = unsafe { libc::dladdr(hook_address, hook.as_mut_ptr()) } != 0;
        if !found {
            return true;
        }
        // SAFETY: as above.
        let found = unsafe { libc::dladdr(entry, main.as_mut_ptr()) } != 0;
        // SAFETY: both were zeroed, then filled by successful dladdr calls.
        found && unsafe { hook.assume_init().dli_fbase == main.assume_init().dli_fbase }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        true
    }
}

/// Run before `main` in every process of a program that links this crate. In all but the
/// guardian it costs one `getenv` and returns.
// Left out only by the benchmark harness, to measure what the hook costs.
#[cfg(not(on_exit_no_guardian_hook))]
#[cfg_attr(not(target_vendor = "apple"), link_section = ".init_array")]
#[cfg_attr(target_vendor = "apple", link_section = "__DATA,__mod_init_func")]
#[used]
static GUARDIAN_HOOK: extern "C" fn() = guardian_hook;

/// The guardian's entry, [`become_guardian`], as the hook reaches it.
#[cfg(any(target_os = "linux", target_os = "android"))]
type Entry = fn(libc::pid_t) -> !;

/// Where [`become_guardian`] is, counted from [`guardian_hook`] in the same executable.
///
/// On Linux the hook does not name the guardian's code: it jumps by this offset, which the
/// program passes to the copy it starts. So a program that never starts a guardian does not
/// carry its code (about 60 KiB of it, with what it needs of std), and one that does carries it
/// because `start_guardian` names it here. The copy runs `/proc/self/exe`, the very file the
/// program runs, so the offset is the same in both.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn entry_offset() -> isize {
    let entry = become_guardian as Entry as usize;
    let hook = guardian_hook as extern "C" fn() as usize;
    #[allow(clippy::cast_possible_wrap)] // a difference of two addresses, read back the same way
    let offset = entry.wrapping_sub(hook) as isize;
    offset
}

/// The variable's value for the copy this program starts: `v1:<pid>` and, on Linux, `:<offset>`.
fn guardian_value() -> String {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return format!("v1:{}:{}", std::process::id(), entry_offset());
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    return format!("v1:{}", std::process::id());
}

extern "C" fn guardian_hook() {
    // SAFETY: getenv with a NUL-terminated name. Before `main` nothing can be changing the
    // environment on another thread.
    let value = unsafe { libc::getenv(GUARDIAN_VARIABLE.as_ptr()) };
    if value.is_null() {
        return;
    }
    // SAFETY: getenv returned a NUL-terminated string that lives as long as the environment.
    let value = unsafe { CStr::from_ptr(value) }.to_bytes();
    // SAFETY: getppid has no preconditions and cannot fail.
    let parent = unsafe { libc::getppid() };
    // Only the copy its parent started: a variable inherited any further does nothing.
    let Some((pid, rest)) = value.strip_prefix(b"v1:").and_then(number) else {
        return;
    };
    if i64::from(parent) != pid {
        return;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some((offset, [])) = rest.strip_prefix(b":").and_then(number) {
        let Ok(offset) = isize::try_from(offset) else {
            return;
        };
        let entry = (guardian_hook as extern "C" fn() as usize).wrapping_add_signed(offset);
        // SAFETY: the parent computed `offset` with `entry_offset` from these two functions,
        // and it runs this very file (we are its `/proc/self/exe`), so `entry` is the address
        // of `become_guardian` in this process: a valid `Entry`.
        let entry = unsafe { std::mem::transmute::<usize, Entry>(entry) };
        entry(parent);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    if rest.is_empty() {
        become_guardian(parent);
    }
}

/// A path on the stack: 48 bytes and how many are written.
#[cfg(target_os = "linux")]
struct Path48([u8; 48], usize);

#[cfg(target_os = "linux")]
impl std::fmt::Write for Path48 {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let end = self.1 + text.len();
        let room = self.0.get_mut(self.1..end).ok_or(std::fmt::Error)?;
        room.copy_from_slice(text.as_bytes());
        self.1 = end;
        Ok(())
    }
}

/// The decimal number (maybe negative) at the start of `bytes`, and what follows it. By hand,
/// since this runs in every process: no formatting machinery.
fn number(bytes: &[u8]) -> Option<(i64, &[u8])> {
    let (negative, bytes) = match bytes.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    // One plain loop: the iterator version is vectorised into 2 KiB of code.
    let (mut value, mut digits) = (0_i64, 0);
    while let Some(digit) = bytes.get(digits).filter(|byte| byte.is_ascii_digit()) {
        value = value.wrapping_mul(10).wrapping_add(i64::from(digit - b'0'));
        digits += 1;
    }
    if digits == 0 || digits > 18 {
        return None;
    }
    Some((if negative { -value } else { value }, &bytes[digits..]))
}

/// Turns this fresh copy of the program into the guardian of `program`, its parent. Never
/// returns: the guardian ends with `_exit` once its work is done.
fn become_guardian(program: libc::pid_t) -> ! {
    // The program's pidfd polls readable when the program ends, even if a process it forked
    // still holds its end of the channel. (Without pidfds, the channel's end is the sign.)
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: pidfd_open takes a process id and no flags. The program is waiting for us, so
    // the number is still the program's.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, program, 0) };
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let pidfd = {
        let _ = program;
        -1
    };
    // Fork again and let this copy exit, so that the guardian is never the program's child
    // (nor its zombie).
    // SAFETY: before `main` this process has one thread, so fork is safe; fork and _exit have
    // no other preconditions.
    unsafe {
        match libc::fork() {
            0 => {}
            -1 => libc::_exit(1),
            _ => libc::_exit(0),
        }
    }
    // SAFETY: setsid, signal and dup2 take plain numbers. A session of its own: the signals
    // for the terminal or the program's group (Ctrl-C, a closed terminal, `kill -- -PGID`)
    // are not for the guardian, which ends by itself once the program has. SIGPIPE ignored:
    // a write to the channel after the program's end fails instead.
    let program = unsafe {
        libc::setsid();
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        match RawFd::try_from(pidfd) {
            Ok(fd) if fd >= 0 && libc::dup2(fd, 3) == 3 => Some(3),
            _ => None,
        }
    };
    let _ = std::env::set_current_dir("/");
    close_from(if program.is_some() { 4 } else { 3 });
    // SAFETY: descriptor 0 is the channel the program passed as standard input, and 3 the
    // program's pidfd; after close_from nothing else refers to either.
    let inbox = unsafe {
        Inbox {
            socket: OwnedFd::from_raw_fd(0),
            program: program.map(|fd| OwnedFd::from_raw_fd(fd)),
            program_gone: false,
            received: VecDeque::new(),
        }
    };
    // SAFETY: writes one byte from a valid buffer.
    if unsafe { libc::write(0, [READY].as_ptr().cast(), 1) } == 1 {
        // (Model checking builds the state machine alone, without the guardian.)
        #[cfg(not(on_exit_loom))]
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::guardian::serve(inbox);
        }));
        #[cfg(on_exit_loom)]
        drop(inbox);
    }
    // SAFETY: _exit ends the guardian without running the program's exit hooks.
    unsafe { libc::_exit(0) }
}

/// Closes every descriptor from `first` up: the guardian holds nothing of the program's but
/// the channel, so that no pipe the program shares with another process stays open because
/// of it.
fn close_from(first: RawFd) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: close_range takes numbers only (Linux 5.9).
    if unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, 0) } == 0 {
        return;
    }
    // SAFETY: sysconf takes a number; close on a descriptor that is not open fails harmlessly.
    unsafe {
        let limit = RawFd::try_from(libc::sysconf(libc::_SC_OPEN_MAX)).unwrap_or(65_536);
        for fd in first..limit.clamp(first, 65_536) {
            libc::close(fd);
        }
    }
}

/// The guardian's end of the channel.
pub(crate) struct Inbox {
    socket: OwnedFd,
    /// The program's pidfd, where there are pidfds.
    program: Option<OwnedFd>,
    /// Set once the program has ended: what is left in the channel is read without waiting.
    program_gone: bool,
    /// Descriptors received, in order, not yet claimed by [`Inbox::process`].
    received: VecDeque<OwnedFd>,
}

impl Inbox {
    /// Appends what the program sent to `bytes`. `false` once the program has ended and all
    /// it sent has been read.
    pub(crate) fn receive(&mut self, bytes: &mut Vec<u8>) -> io::Result<bool> {
        loop {
            if !self.program_gone {
                let mut ready = [
                    libc::pollfd {
                        fd: self.socket.as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    },
                    libc::pollfd {
                        fd: self
                            .program
                            .as_ref()
                            .map_or(-1, std::os::fd::AsRawFd::as_raw_fd),
                        events: libc::POLLIN,
                        revents: 0,
                    },
                ];
                // SAFETY: two valid pollfds (poll skips a negative descriptor); no timeout.
                if unsafe { libc::poll(ready.as_mut_ptr(), 2, -1) } < 0 {
                    continue; // EINTR
                }
                if ready[1].revents != 0 {
                    self.program_gone = true;
                    // SAFETY: fcntl with integer arguments on a descriptor we own.
                    unsafe {
                        let flags = libc::fcntl(self.socket.as_raw_fd(), libc::F_GETFL);
                        libc::fcntl(
                            self.socket.as_raw_fd(),
                            libc::F_SETFL,
                            flags | libc::O_NONBLOCK,
                        );
                    }
                }
            }
            match self.receive_part(bytes) {
                Ok(0) => return Ok(false),
                Ok(_) => return Ok(true),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(error) => return Err(error),
            }
        }
    }

    /// One `recvmsg`: the bytes to `bytes`, the descriptors to `received`.
    fn receive_part(&mut self, bytes: &mut Vec<u8>) -> io::Result<usize> {
        let mut buffer = [0_u8; 4096];
        let mut part = libc::iovec {
            iov_base: buffer.as_mut_ptr().cast(),
            iov_len: buffer.len(),
        };
        let mut control = Control([0; 64]);
        // SAFETY: an all-zero msghdr is a message with no name and no control data.
        let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
        message.msg_iov = ptr::addr_of_mut!(part);
        message.msg_iovlen = 1;
        message.msg_control = control.0.as_mut_ptr().cast();
        #[allow(clippy::cast_possible_truncation)] // 64 bytes
        let room = control.0.len() as _;
        message.msg_controllen = room;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let flags = libc::MSG_CMSG_CLOEXEC;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let flags = 0;
        // SAFETY: `message` points to the buffer and the control buffer, both alive here.
        let read =
            unsafe { libc::recvmsg(self.socket.as_raw_fd(), ptr::addr_of_mut!(message), flags) };
        let read = usize::try_from(read).map_err(|_| io::Error::last_os_error())?;
        // SAFETY: recvmsg filled the control buffer and set msg_controllen; the CMSG macros
        // walk the headers inside it, and each SCM_RIGHTS payload is that many descriptors,
        // now open in this process and owned by nothing else.
        unsafe {
            let mut header = libc::CMSG_FIRSTHDR(ptr::addr_of!(message));
            while !header.is_null() {
                if (*header).cmsg_level == libc::SOL_SOCKET
                    && (*header).cmsg_type == libc::SCM_RIGHTS
                {
                    #[allow(clippy::cast_ptr_alignment)] // read unaligned below
                    let data = libc::CMSG_DATA(header).cast::<RawFd>();
                    let payload = (*header).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                    for index in 0..payload / std::mem::size_of::<RawFd>() {
                        let fd = ptr::read_unaligned(data.add(index));
                        self.received.push_back(OwnedFd::from_raw_fd(fd));
                    }
                }
                header = libc::CMSG_NXTHDR(ptr::addr_of!(message), header);
            }
        }
        bytes.extend_from_slice(&buffer[..read]);
        Ok(read)
    }

    /// The child the program armed as `pid`, with the pidfd that came with that message.
    pub(crate) fn process(&mut self, pid: i32, group: bool) -> Option<Process> {
        let pidfd = self.received.pop_front()?;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        return Some(Process::adopt(pidfd, pid, group));
        // Without pidfds the program sends no child.
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = (pidfd, pid, group);
            None
        }
    }
}
