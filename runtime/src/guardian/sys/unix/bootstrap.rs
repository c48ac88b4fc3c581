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

use super::channel::{socket_pair, wait_readable, Inbox, Link};
use crate::sys::ascii::number;

/// The variable that makes a copy of the program its guardian: `v1:` and the program's id,
/// which the copy checks against its parent's so that an inherited variable does nothing.
const GUARDIAN_VARIABLE: &CStr = c"ON_EXIT_GUARDIAN";
/// What the guardian writes once it is ready.
const READY: u8 = b'R';
/// How long the program waits for that: only there to catch a hang.
const HANDSHAKE: Duration = Duration::from_secs(10);

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
    let program_pid = program;
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
        for fd in first..limit.clamp(first, 65_536) {
            libc::close(fd);
        }
    }
}
