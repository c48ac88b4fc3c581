//! The guardian process: a copy of the program's own executable, started by the first
//! `kill_on_exit` or `remove_on_exit`, that a hook run before `main` turns into the guardian.

use std::ffi::{CStr, OsStr};
use std::io;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::process::CommandExt as _;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::ptr;
use std::time::Duration;

use super::channel::{socket_pair, wait_readable, Link};
use super::hook::{secure_execution, GUARDIAN_VARIABLE};
use super::inbox::Inbox;

/// The guardian's name, as `comm` and `argv[0]`: not the program's, so that `pkill NAME`
/// of the program does not match it.
pub(super) const GUARDIAN_NAME: &CStr = c"on-exit-guard";
/// What the guardian writes once it is ready.
const READY: u8 = b'R';
/// How long the program waits for that: only there to catch a hang.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Starts the guardian: a copy of the program's own executable, which the hook below turns
/// into the guardian before its `main`. Returns once the guardian is ready.
pub(crate) fn start_guardian() -> io::Result<Link> {
    if secure_execution() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the program runs in secure-execution mode (setuid, setgid or file capabilities), where on-exit starts no guardian",
        ));
    }
    if !hook_in_executable() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "on-exit is not in the program's executable (a shared library?), which the guardian is started from",
        ));
    }
    as_pid_1_note();
    super::entry_point::keep();
    let (ours, theirs) = socket_pair()?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let executable = PathBuf::from("/proc/self/exe");
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let executable = std::env::current_exe()?;
    let variable = OsStr::from_bytes(GUARDIAN_VARIABLE.to_bytes());
    // The first copy forks the guardian and exits at once.
    let mut first = Command::new(executable)
        .arg0(OsStr::from_bytes(GUARDIAN_NAME.to_bytes()))
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
        let hook_address = super::hook::guardian_hook as extern "C" fn() as *const c_void;
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

/// As PID 1 (a container's entrypoint), says once on stderr what the guardian cannot do
/// there: when PID 1 dies, the kernel kills every process of its PID namespace, the guardian
/// with them, and no process can be put outside the namespace from inside it.
fn as_pid_1_note() {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if std::process::id() == 1 && !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        crate::driver::warn(format_args!(
            "this program is PID 1, and the kernel ends the guardian with it: after a kill -9, abort or crash, paths armed with remove_on_exit are left (armed children end with the PID namespace)"
        ));
    }
}

/// The variable's value for the copy this program starts: `v1:<pid>`. It only says what the
/// copy is meant to be; the proof is the socket on its standard input (see `hook.rs`).
fn guardian_value() -> String {
    format!("v1:{}", std::process::id())
}

/// Turns this fresh copy of the program into the guardian of its parent, the program, whose
/// pidfd is `pidfd` (-1 where there are none). Reached only from the hook, once the program
/// has proved itself. Never returns: the guardian ends with `_exit` once its work is done.
///
/// The program's pidfd polls readable when the program ends, even if a process it forked
/// still holds its end of the channel. (Without pidfds, the channel's end is the sign.)
pub(super) fn become_guardian(pidfd: RawFd) -> ! {
    // SAFETY: signal and prctl take plain numbers and a static NUL-terminated name. The
    // guardian ends by itself when the program does: the signals a supervisor sends to every
    // process of the program (systemd's stop, a terminal's Ctrl-C or hangup) are not for it,
    // and a name of its own keeps `pkill NAME` of the program from matching it (its argv[0]
    // is the same name, see `start_guardian`). Set before the fork: the guardian inherits them.
    unsafe {
        for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGPIPE] {
            libc::signal(signal, libc::SIG_IGN);
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        libc::prctl(libc::PR_SET_NAME, GUARDIAN_NAME.as_ptr());
    }
    // SAFETY: getppid has no preconditions. The parent is the program, which proved itself
    // and is waiting for us: its number is its own until it ends.
    let program_pid = unsafe { libc::getppid() };
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
    // SAFETY: setsid and dup2 take plain numbers. A session of its own: the signals for the
    // terminal or the program's group (Ctrl-C, a closed terminal, `kill -- -PGID`) are not
    // for the guardian, which ends by itself once the program has. (SIGPIPE is ignored: a
    // write to the channel after the program's end fails instead.)
    let program = unsafe {
        libc::setsid();
        (pidfd >= 0 && libc::dup2(pidfd, 3) == 3).then_some(3)
    };
    let _ = std::env::set_current_dir("/");
    close_from(if program.is_some() { 4 } else { 3 });
    // SAFETY: descriptor 0 is the channel the program passed as standard input, and 3 the
    // program's pidfd; after close_from nothing else refers to either.
    let inbox = unsafe {
        Inbox::new(
            OwnedFd::from_raw_fd(0),
            program.map(|fd| OwnedFd::from_raw_fd(fd)),
            program_pid,
        )
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
        for fd in first..limit.min(65_536) {
            libc::close(fd);
        }
    }
}
