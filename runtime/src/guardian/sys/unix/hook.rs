//! The hook run before `main` in every process of a program that links this crate, and the
//! proof it asks for before it turns a process into the guardian.
//!
//! Nothing from outside chooses what runs: the variable only says "meant to be a guardian" and
//! names the program, and the hook calls [`become_guardian`](super::bootstrap) only once the
//! program has proved itself through the descriptor it passed (see [`claimed`] and [`proof`]).
//! In a secure-execution process (setuid, setgid, file capabilities) it does nothing at all.

use std::ffi::CStr;
use std::os::fd::RawFd;

use crate::sys::ascii::number;

/// The variable that tells a copy of the program it is meant to be the guardian: `v1:` and
/// the program's id. It only says so: the proof is the descriptor (see [`claimed`]).
pub(super) const GUARDIAN_VARIABLE: &CStr = c"ON_EXIT_GUARDIAN";

/// The guardian's entry: given the program's pidfd (or -1), never returns.
pub(super) type Run = fn(RawFd) -> !;

/// The program's id in the variable's value, `v1:<pid>` and nothing else; `None` for anything
/// else, whatever the bytes.
/// Digits only, no sign, no leading zero: the one spelling the program writes.
pub(crate) fn parse(value: &[u8]) -> Option<libc::pid_t> {
    let digits = value.strip_prefix(b"v1:")?;
    if digits.first() == Some(&b'0') || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let (pid, _) = number(digits)?;
    match libc::pid_t::try_from(pid) {
        Ok(pid) if pid > 0 => Some(pid),
        _ => None,
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

pub(super) extern "C" fn guardian_hook() {
    // SAFETY: getenv with a NUL-terminated name. Before `main` nothing can be changing the
    // environment on another thread.
    let value = unsafe { libc::getenv(GUARDIAN_VARIABLE.as_ptr()) };
    if value.is_null() || secure_execution() {
        return;
    }
    // SAFETY: getenv returned a NUL-terminated string that lives as long as the environment.
    let value = unsafe { CStr::from_ptr(value) }.to_bytes();
    let Some(program) = parse(value) else {
        return;
    };
    // Not meant to be a guardian (a variable leaked or forged, without the program's
    // descriptor): `main` runs as if the variable were not there.
    if !claimed(program) {
        return;
    }
    // Meant to be one: from here this process never runs `main`, whatever happens to the
    // program. Without the proof (the program was killed since it started us, or the
    // descriptor is not the program's) it ends quietly.
    if let Some(pidfd) = proof(program) {
        if let Some(run) = super::entry_point::find() {
            run(pidfd);
        }
    }
    // SAFETY: _exit ends this copy without running anything of the program's.
    unsafe { libc::_exit(1) }
}

/// Whether this is a secure-execution process (setuid, setgid, file capabilities), where the
/// hook does nothing at all.
pub(super) fn secure_execution() -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: getauxval has no preconditions; AT_SECURE is always in the auxiliary vector.
    return unsafe { libc::getauxval(libc::AT_SECURE) } != 0;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    // SAFETY: issetugid has no preconditions.
    return unsafe { libc::issetugid() } != 0;
}

/// A socket option of descriptor 0, or `None` (not a socket, or no such option). `T` is plain
/// data (`c_int`, `ucred`).
fn option<T: Copy>(level: libc::c_int, name: libc::c_int) -> Option<T> {
    // SAFETY: the two types it is used with are plain integers, valid all-zero.
    let mut value: T = unsafe { std::mem::zeroed() };
    let mut size = libc::socklen_t::try_from(std::mem::size_of::<T>()).ok()?;
    // SAFETY: getsockopt writes at most `size` bytes into `value`, which has that size.
    let got = unsafe {
        libc::getsockopt(
            0,
            level,
            name,
            std::ptr::addr_of_mut!(value).cast(),
            &mut size,
        )
    };
    (got == 0 && usize::try_from(size).ok() == Some(std::mem::size_of::<T>())).then_some(value)
}

/// Whether this process is meant to be the guardian of `program`: its standard input is a
/// connected Unix stream socket, and (where the kernel says who made it) `program` made it.
/// A leaked or forged variable without such a descriptor is not a claim.
fn claimed(program: libc::pid_t) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        started_as_guardian()
            && option::<libc::c_int>(libc::SOL_SOCKET, libc::SO_DOMAIN) == Some(libc::AF_UNIX)
            && option::<libc::c_int>(libc::SOL_SOCKET, libc::SO_TYPE) == Some(libc::SOCK_STREAM)
            && match option::<libc::ucred>(libc::SOL_SOCKET, libc::SO_PEERCRED) {
                Some(peer) => peer.pid == program,
                None => false,
            }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = program;
        let mut address: libc::sockaddr_un = unsafe_zeroed();
        let mut size = libc::socklen_t::try_from(std::mem::size_of_val(&address)).unwrap_or(0);
        // SAFETY: getsockname writes at most `size` bytes into `address`.
        let named =
            unsafe { libc::getsockname(0, std::ptr::addr_of_mut!(address).cast(), &mut size) } == 0;
        named
            && libc::c_int::from(address.sun_family) == libc::AF_UNIX
            && option::<libc::c_int>(libc::SOL_SOCKET, libc::SO_TYPE) == Some(libc::SOCK_STREAM)
    }
}

/// Whether this process was started with the guardian's name as `argv[0]`, as only
/// `start_guardian` starts it: a worker that the program starts itself, with a socket of its
/// own on standard input and the variable leaked into its environment, is not a claim.
/// Read from `/proc/self/cmdline` into the stack (nothing allocated before `main`).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn started_as_guardian() -> bool {
    let wanted = super::bootstrap::GUARDIAN_NAME.to_bytes_with_nul();
    let mut line = [0_u8; 32];
    // SAFETY: a NUL-terminated path; the descriptor is closed below.
    let fd = unsafe {
        libc::open(
            c"/proc/self/cmdline".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return false;
    }
    // SAFETY: `fd` is open, and `line` is writable for its whole length.
    let read = unsafe { libc::read(fd, line.as_mut_ptr().cast(), line.len()) };
    // SAFETY: `fd` was opened above and is closed once.
    unsafe { libc::close(fd) };
    match usize::try_from(read) {
        Ok(read) => line[..read].starts_with(wanted),
        Err(_) => false,
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn unsafe_zeroed() -> libc::sockaddr_un {
    // SAFETY: all-zero is a valid sockaddr_un.
    unsafe { std::mem::zeroed() }
}

/// The program's proof that it started this process: the socket's other end was made by
/// `program`, which is still our parent, runs as our user and runs the very file we run.
/// Returns the program's pidfd (-1 where there are no pidfds), opened while `program` was
/// still our parent, so that it names the program and no other process.
fn proof(program: libc::pid_t) -> Option<RawFd> {
    // SAFETY: getppid, geteuid and getegid have no preconditions and cannot fail.
    let (parent, user, group) = unsafe { (libc::getppid(), libc::geteuid(), libc::getegid()) };
    if parent != program {
        return None;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let peer = option::<libc::ucred>(libc::SOL_SOCKET, libc::SO_PEERCRED)?;
        if peer.uid != user || peer.gid != group {
            return None;
        }
        // SAFETY: pidfd_open takes a process id and no flags.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, program, 0) };
        let pidfd = RawFd::try_from(pidfd).unwrap_or(-1);
        let proven = same_executable(program)
            // SAFETY: as above. Still our parent after the pidfd and the executable were
            // looked at: both were the program's (a parent's number is not reused while it
            // is our parent).
            && unsafe { libc::getppid() } == program;
        if !proven {
            if pidfd >= 0 {
                // SAFETY: closes the descriptor opened above, used by nothing else.
                unsafe { libc::close(pidfd) };
            }
            return None;
        }
        Some(pidfd)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let (mut peer_user, mut peer_group) = (0, 0);
        // SAFETY: getpeereid writes two ids.
        let known = unsafe { libc::getpeereid(0, &mut peer_user, &mut peer_group) } == 0;
        (known && peer_user == user && peer_group == group).then_some(-1)
    }
}

/// Whether `/proc/<pid>/exe` is the same file as `/proc/self/exe` (device and inode).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn same_executable(pid: libc::pid_t) -> bool {
    // "/proc/" + up to 10 digits + "/exe" + NUL, written by hand: no formatting machinery in
    // every program.
    let mut path = *b"/proc/\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
    let mut digits = [0_u8; 10];
    let (mut left, mut count) = (pid.unsigned_abs(), 0);
    loop {
        #[allow(clippy::cast_possible_truncation)] // a digit
        let digit = (left % 10) as u8;
        digits[count] = b'0' + digit;
        count += 1;
        left /= 10;
        if left == 0 || count == digits.len() {
            break;
        }
    }
    for at in 0..count {
        path[6 + at] = digits[count - 1 - at];
    }
    path[6 + count..6 + count + 4].copy_from_slice(b"/exe");
    let theirs = identity(&path);
    theirs.is_some() && theirs == identity(b"/proc/self/exe\0")
}

/// The device and inode of the file at `path` (NUL-terminated), following links.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn identity(path: &[u8]) -> Option<(u64, u64)> {
    // SAFETY: all-zero is a valid stat buffer.
    let mut status: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated (both callers end it with a NUL), `status` is valid.
    let found = unsafe { libc::stat(path.as_ptr().cast(), &mut status) } == 0;
    #[allow(clippy::useless_conversion)] // the types differ between targets
    found.then(|| (u64::from(status.st_dev), u64::from(status.st_ino)))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    #[cfg_attr(miri, ignore)] // no unsafe code to check, and slow there
    fn the_variable_is_v1_and_a_pid_and_nothing_else() {
        assert_eq!(parse(b"v1:1234"), Some(1234));
        assert_eq!(parse(b"v1:1"), Some(1));
        for value in [
            &b""[..],
            b"v1:",
            b"v1:+1",
            b"v1:012",
            b"v1:2147483648",
            b"v1:0",
            b"v1:-5",
            b"v1:12:0",
            b"v1:12:-4096",
            b"v1:12 ",
            b"v2:12",
            b"v1:99999999999",
            b"v1:1234567890123456789012",
        ] {
            assert_eq!(parse(value), None, "{:?}", String::from_utf8_lossy(value));
        }
    }

    /// Whatever the bytes, the parser returns (no panic, no overflow) and only `v1:<pid>`
    /// yields a pid. Random and mutated values; `ON_EXIT_HOOK_CASES` sets how many
    /// (`.ci/reliability` runs a million).
    #[test]
    #[cfg_attr(miri, ignore)] // no unsafe code to check, and slow there
    fn the_parser_never_panics_whatever_the_variable_holds() {
        let cases: u64 = std::env::var("ON_EXIT_HOOK_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(20_000);
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"v1:-0123456789 \0\xff";
        let mut value = Vec::new();
        for _ in 0..cases {
            value.clear();
            if next() % 2 == 0 {
                value.extend_from_slice(b"v1:");
            }
            let length = next() % 32;
            for _ in 0..length {
                let pick = next();
                #[allow(clippy::cast_possible_truncation)] // within the alphabet, or a byte
                let byte = if pick % 4 == 0 {
                    (pick >> 8) as u8
                } else {
                    alphabet[(pick >> 8) as usize % alphabet.len()]
                };
                value.push(byte);
            }
            if let Some(pid) = parse(&value) {
                assert_eq!(value, format!("v1:{pid}").into_bytes());
            }
        }
        println!("hook parser: {cases} values, no panic");
    }
}
