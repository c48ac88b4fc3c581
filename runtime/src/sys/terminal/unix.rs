//! Unix: the terminal's termios, through a descriptor of our own (a duplicate of whichever of
//! stdin, stdout and stderr is a terminal, else `/dev/tty`), and who may be given it back
//! (see [`Owners`]).

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd as _, BorrowedFd, FromRawFd as _, OwnedFd, RawFd};
use std::ptr;

use super::RESET;

/// The terminal as the program found it.
pub(crate) struct Terminal {
    fd: OwnedFd,
    state: libc::termios,
    owners: Owners,
}

/// The process groups whose holding the terminal (being its foreground group) lets the
/// restore go ahead, recorded with the termios: the program's own, and those of its
/// ancestors in its session (the shell that takes the terminal back once the program is
/// gone, through `cargo run` or a nested shell), and the session leader's. Another group in
/// the foreground (a job started while the program was stopped or in the background) holds
/// the terminal in a mode of its own: it is left alone.
#[derive(Clone, Copy)]
struct Owners {
    session: libc::pid_t,
    groups: [libc::pid_t; MAX_OWNERS],
    count: usize,
}

/// The program's group, the session leader's, and up to 8 more of its ancestors'.
const MAX_OWNERS: usize = 10;

/// The program's terminal and its termios now; `None` if it has none.
pub(crate) fn record() -> io::Result<Option<Terminal>> {
    let Some(fd) = open()? else {
        return Ok(None);
    };
    let mut state = MaybeUninit::<libc::termios>::zeroed();
    // SAFETY: `state` is writable memory for one termios; `fd` is open.
    if unsafe { libc::tcgetattr(fd.as_raw_fd(), state.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: tcgetattr succeeded and filled it (all-zero was already a valid value).
    let state = unsafe { state.assume_init() };
    Ok(Some(Terminal {
        fd,
        state,
        owners: Owners::now(),
    }))
}

/// A descriptor of our own for the terminal: a close-on-exec duplicate of the first of
/// stdin, stdout and stderr that is one, else `/dev/tty` opened; `None` if there is none.
fn open() -> io::Result<Option<OwnedFd>> {
    for fd in [0, 1, 2] {
        // SAFETY: isatty takes any integer.
        if unsafe { libc::isatty(fd) } == 1 {
            // SAFETY: fcntl with integer arguments on a descriptor that is open.
            let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
            if copy < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: a new descriptor that nothing else owns.
            return Ok(Some(unsafe { OwnedFd::from_raw_fd(copy) }));
        }
    }
    // SAFETY: a NUL-terminated path and integer flags.
    let fd = unsafe {
        libc::open(
            c"/dev/tty".as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        // No controlling terminal (ENXIO), or none that may be opened: not a terminal program.
        return Ok(None);
    }
    // SAFETY: a new descriptor that nothing else owns.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) }))
}

impl Terminal {
    /// Puts the recorded modes back, then writes [`RESET`], unless another program's group
    /// holds the terminal now (see [`Owners`]).
    pub(crate) fn restore(&self) {
        if self.owners.may_restore(self.fd.as_raw_fd()) {
            put_back(self.fd.as_raw_fd(), &self.state);
        }
    }

    /// The descriptor, for the guardian.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor is open for as long as `self` lives.
        unsafe { BorrowedFd::borrow_raw(self.fd.as_raw_fd()) }
    }

    /// The recorded termios as bytes, then the owners' session and groups, for the guardian
    /// (the same build reads them back).
    pub(crate) fn state(&self) -> Vec<u8> {
        let size = std::mem::size_of::<libc::termios>();
        // SAFETY: termios is plain data of `size` bytes, read as bytes.
        let mut bytes =
            unsafe { std::slice::from_raw_parts(ptr::addr_of!(self.state).cast::<u8>(), size) }
                .to_vec();
        bytes.extend_from_slice(&self.owners.session.to_ne_bytes());
        for group in &self.owners.groups[..self.owners.count] {
            bytes.extend_from_slice(&group.to_ne_bytes());
        }
        bytes
    }
}

/// The guardian's restore: `state` as [`Terminal::state`] gave it, put back on `fd`, then
/// [`RESET`], unless another program's group holds the terminal (see [`Owners`]). Bytes of
/// the wrong size are ignored (a bug: the program is the same build).
pub(crate) fn restore_from(fd: &OwnedFd, state: &[u8]) {
    let size = std::mem::size_of::<libc::termios>();
    let group = std::mem::size_of::<libc::pid_t>();
    if state.len() < size + group || (state.len() - size) % group != 0 {
        return;
    }
    let (state, owned) = state.split_at(size);
    let (session, groups) = owned.split_at(group);
    let mut owners = Owners {
        session: pid_from(session),
        groups: [0; MAX_OWNERS],
        count: 0,
    };
    for bytes in groups.chunks_exact(group).take(MAX_OWNERS) {
        owners.add(pid_from(bytes));
    }
    if !owners.may_restore(fd.as_raw_fd()) {
        return;
    }
    let mut termios = MaybeUninit::<libc::termios>::zeroed();
    // SAFETY: `state` has exactly the size of a termios, which is plain data; copied into
    // memory of that type.
    let termios = unsafe {
        ptr::copy_nonoverlapping(
            state.as_ptr(),
            termios.as_mut_ptr().cast::<u8>(),
            state.len(),
        );
        termios.assume_init()
    };
    put_back(fd.as_raw_fd(), &termios);
}

/// The process or group id in `bytes`, as [`Terminal::state`] wrote it (exactly its size).
fn pid_from(bytes: &[u8]) -> libc::pid_t {
    let mut number = [0; std::mem::size_of::<libc::pid_t>()];
    number.copy_from_slice(bytes);
    libc::pid_t::from_ne_bytes(number)
}

impl Owners {
    /// This process's group, its session leader's, and its ancestors' in its session.
    fn now() -> Owners {
        // SAFETY: getpgrp, getsid and getppid have no preconditions.
        let (group, session, parent) =
            unsafe { (libc::getpgrp(), libc::getsid(0), libc::getppid()) };
        let mut owners = Owners {
            session,
            groups: [0; MAX_OWNERS],
            count: 0,
        };
        owners.add(group);
        owners.add(session);
        let mut ancestor = parent;
        while ancestor > 1 && owners.count < MAX_OWNERS {
            let Some((its_parent, its_group, its_session)) = lineage(ancestor) else {
                break;
            };
            if its_session != session {
                break;
            }
            owners.add(its_group);
            ancestor = its_parent;
        }
        owners
    }

    fn add(&mut self, group: libc::pid_t) {
        if group > 0 && self.count < MAX_OWNERS && !self.has(group) {
            self.groups[self.count] = group;
            self.count += 1;
        }
    }

    /// Whether `group` is one of the owners.
    fn has(&self, group: libc::pid_t) -> bool {
        for owner in &self.groups[..self.count] {
            if *owner == group {
                return true;
            }
        }
        false
    }

    /// Whether the terminal `fd` may be given back now: its foreground group is one of the
    /// owners, or cannot be known (no foreground group: a terminal whose session ended).
    fn may_restore(&self, fd: RawFd) -> bool {
        match foreground(fd, self.session) {
            Some(group) => self.has(group),
            None => true,
        }
    }
}

/// The foreground process group of the terminal `fd`: `tcgetpgrp` if it is this process's
/// controlling terminal; else (the guardian, which has left the session) on Linux the one
/// that the session leader `session`'s `/proc` entry shows, if that leader still has this
/// terminal. `None` if unknown.
fn foreground(fd: RawFd, session: libc::pid_t) -> Option<libc::pid_t> {
    // SAFETY: tcgetpgrp takes a descriptor and nothing else.
    let group = unsafe { libc::tcgetpgrp(fd) };
    if group > 0 {
        return Some(group);
    }
    foreground_through_proc(fd, session)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn foreground_through_proc(fd: RawFd, session: libc::pid_t) -> Option<libc::pid_t> {
    let mut stat = MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: fstat fills valid memory for one stat.
    if session <= 0 || unsafe { libc::fstat(fd, stat.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: fstat succeeded and filled it.
    let device = unsafe { stat.assume_init() }.st_rdev;
    let (major, minor) = (libc::major(device), libc::minor(device));
    // The kernel's encoding of `tty_nr` in /proc/PID/stat.
    let encoded = i64::from((minor & 0xff) | (major << 8) | ((minor & !0xff) << 12));
    let [_, _, _, its_session, terminal, group] = stat_numbers(session)?;
    if its_session? != i64::from(session) || terminal? != encoded {
        return None;
    }
    match libc::pid_t::try_from(group?) {
        Ok(group) if group > 0 => Some(group),
        _ => None,
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn foreground_through_proc(_fd: RawFd, _session: libc::pid_t) -> Option<libc::pid_t> {
    None
}

/// The parent, group and session of process `pid`, from `/proc` on Linux; elsewhere the
/// parent's group and session only (`getpgid`, `getsid`), with no parent of its own.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn lineage(pid: libc::pid_t) -> Option<(libc::pid_t, libc::pid_t, libc::pid_t)> {
    let [_, parent, group, session, _, _] = stat_numbers(pid)?;
    let id = |number: Option<i64>| libc::pid_t::try_from(number?).ok();
    Some((id(parent)?, id(group)?, id(session)?))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn lineage(pid: libc::pid_t) -> Option<(libc::pid_t, libc::pid_t, libc::pid_t)> {
    // SAFETY: getpgid and getsid take a number.
    let (group, session) = unsafe { (libc::getpgid(pid), libc::getsid(pid)) };
    (group > 0 && session > 0).then_some((0, group, session))
}

/// The first six fields of `/proc/PID/stat` after the process's name, as numbers: state
/// (a letter, so `None`), ppid, pgrp, session, `tty_nr` and `tpgid`; `None` for a field that is
/// missing or not a number. Read by [`crate::sys::ascii::number`], negative ones included (a
/// `tpgid` of -1: no foreground group).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn stat_numbers(pid: libc::pid_t) -> Option<[Option<i64>; 6]> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let fields = crate::sys::ascii::stat_fields(&stat)?;
    let mut numbers = [None; 6];
    for (n, number) in numbers.iter_mut().enumerate() {
        *number = match crate::sys::ascii::number(crate::sys::ascii::word(fields, n)) {
            Some((value, [])) => Some(value),
            _ => None,
        };
    }
    Some(numbers)
}

/// `tcsetattr` at once (not waiting for output to drain: a stopped terminal would hang the
/// ending), with `SIGTTOU` blocked so that a program in the background is not stopped by it
/// (nor by the write, with `stty tostop`); then the reset bytes, written through a new
/// non-blocking description of the terminal: a terminal whose output is stopped (Ctrl-S) or
/// not drained never hangs the ending, and a read-only descriptor (stdin from `/dev/tty`)
/// still gets them.
fn put_back(fd: RawFd, state: &libc::termios) {
    let mut ttou = MaybeUninit::<libc::sigset_t>::zeroed();
    let mut previous = MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: sigemptyset fills `ttou` before sigaddset and pthread_sigmask read it;
    // pthread_sigmask fills `previous`, which is only read after a successful call;
    // tcsetattr reads one valid termios.
    let blocked = unsafe {
        libc::sigemptyset(ttou.as_mut_ptr());
        libc::sigaddset(ttou.as_mut_ptr(), libc::SIGTTOU);
        let blocked =
            libc::pthread_sigmask(libc::SIG_BLOCK, ttou.as_ptr(), previous.as_mut_ptr()) == 0;
        libc::tcsetattr(fd, libc::TCSANOW, state);
        blocked
    };
    write_reset(fd);
    if blocked {
        // SAFETY: `previous` was filled by the successful pthread_sigmask above.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, previous.as_ptr(), ptr::null_mut()) };
    }
}

/// Writes [`RESET`] to the terminal `fd` names, through a description of its own opened
/// write-only and non-blocking (`O_NONBLOCK` on `fd` itself would change it for every process
/// sharing it, the shell among them). What does not fit at once is dropped.
fn write_reset(fd: RawFd) {
    let Some(own) = reopened(fd) else {
        return;
    };
    let mut written = 0;
    while written < RESET.len() {
        // SAFETY: writes from a valid buffer of the given length.
        let count = unsafe {
            libc::write(
                own.as_raw_fd(),
                RESET[written..].as_ptr().cast(),
                RESET.len() - written,
            )
        };
        match usize::try_from(count) {
            Ok(count) if count > 0 => written += count,
            _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            // Stopped or full (EAGAIN), or gone (EIO after a hang-up): nothing more to do.
            _ => return,
        }
    }
}

/// A new write-only, non-blocking description of the terminal `fd` names (through
/// `/proc/self/fd` on Linux, the terminal's name elsewhere).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn reopened(fd: RawFd) -> Option<OwnedFd> {
    use std::fmt::Write as _;

    let mut path = crate::sys::ascii::Path48([0; 48], 0);
    write!(path, "/proc/self/fd/{fd}\0").ok()?;
    let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: a NUL-terminated path and integer flags.
    let own = unsafe { libc::open(path.0.as_ptr().cast(), flags) };
    // SAFETY: a new descriptor that nothing else owns, closed when dropped.
    (own >= 0).then(|| unsafe { OwnedFd::from_raw_fd(own) })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn reopened(fd: RawFd) -> Option<OwnedFd> {
    let mut name = [0_u8; 128];
    // SAFETY: ttyname_r writes at most `len` bytes into `name`.
    if unsafe { libc::ttyname_r(fd, name.as_mut_ptr().cast(), name.len()) } != 0 {
        return None;
    }
    let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: ttyname_r wrote a NUL-terminated path.
    let own = unsafe { libc::open(name.as_ptr().cast(), flags) };
    // SAFETY: a new descriptor that nothing else owns, closed when dropped.
    (own >= 0).then(|| unsafe { OwnedFd::from_raw_fd(own) })
}

/// For the thread that flushes stdout at the end: `SIGTTOU` and `SIGPIPE` blocked on it for
/// good, so that the flush never stops a program in the background (`stty tostop`) nor ends
/// it by `SIGPIPE` instead of the signal it is dying by (a write to a pipe whose reader left
/// fails with `EPIPE`; the signal stays pending on this thread, which ends).
pub(crate) fn quiet_thread() {
    let mut quiet = MaybeUninit::<libc::sigset_t>::zeroed();
    // SAFETY: sigemptyset fills `quiet` before sigaddset and pthread_sigmask read it.
    unsafe {
        libc::sigemptyset(quiet.as_mut_ptr());
        libc::sigaddset(quiet.as_mut_ptr(), libc::SIGTTOU);
        libc::sigaddset(quiet.as_mut_ptr(), libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, quiet.as_ptr(), ptr::null_mut());
    }
}
