//! What makes a process the guardian, and what never does: the hook before `main` takes no
//! code, address or offset from outside, never crashes whatever `ON_EXIT_GUARDIAN` holds,
//! does nothing in a secure-execution (setgid) process, turns a copy into the guardian only
//! with the program's proof, and a copy meant to be the guardian never runs `main`, even when
//! the program is killed while it starts. As PID 1, the first call says what the guardian
//! cannot do there.
#![cfg(target_os = "linux")]

mod support;

use std::fs;
use std::os::fd::{FromRawFd as _, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{send, Scenario};

const ONCE: &str = env!("CARGO_BIN_EXE_guardian_once");

fn scratch(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("on-exit-trust-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&path);
    fs::create_dir_all(&path).unwrap();
    path
}

/// A connected pair of Unix stream sockets made by this process (the test): its peer
/// credentials name the test, not the program.
fn socket_pair() -> (OwnedFd, OwnedFd) {
    let mut fds = [-1; 2];
    // SAFETY: socketpair writes two descriptors into the array.
    let made = unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, fds.as_mut_ptr()) };
    assert_eq!(made, 0);
    // SAFETY: both were just made and are owned by nothing else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// The hook takes nothing from the variable but "meant to be a guardian of PID": values
/// that made today's hook jump to an address (offset 0 called the hook itself until the stack
/// overflowed), or anything else, leave the program alone: `main` runs and it exits 0.
#[test]
fn no_value_of_the_variable_crashes_the_program_or_keeps_main_from_running() {
    let us = std::process::id();
    let mut values = vec![
        format!("v1:{us}:0"),
        format!("v1:{us}:1"),
        format!("v1:{us}:-1"),
        format!("v1:{us}:-4096"),
        format!("v1:{us}:4096"),
        format!("v1:{us}:99999999999999999"),
        format!("v1:{us}:"),
        format!("v1:{us}"),
        format!("v1:{us}x"),
        "v1:1".to_owned(),
        "v1:0".to_owned(),
        "v1:-1".to_owned(),
        "v1:".to_owned(),
        "v2:1:0".to_owned(),
        String::new(),
        "\u{7f}\u{1}garbage".to_owned(),
        "v1:99999999999999999999999999".to_owned(),
    ];
    // Offsets around what today's hook would jump by, whatever they are in this build.
    values.extend((-8..8).map(|step| format!("v1:{us}:{}", step * 64)));
    for value in values {
        let outcome = Scenario::new(ONCE).env("ON_EXIT_GUARDIAN", &value).run();
        assert!(
            outcome.status.success()
                && outcome.log.len() == 1
                && outcome.log[0].starts_with("main "),
            "ON_EXIT_GUARDIAN={value:?}: {outcome:#?}"
        );
    }
}

/// A worker that its parent starts with a socket of its own on standard input, with the
/// variable leaked into its environment (naming that parent), is no guardian: only a copy
/// started under the guardian's name is meant to be one. `main` runs.
#[test]
fn a_leaked_variable_and_an_ordinary_socket_change_nothing() {
    let (ours, theirs) = socket_pair();
    let mut scenario =
        Scenario::new(ONCE).env("ON_EXIT_GUARDIAN", &format!("v1:{}", std::process::id()));
    scenario.command().stdin(Stdio::from(theirs));
    let running = scenario.spawn();
    let outcome = running.finish();
    drop(ours);
    assert!(
        outcome.status.success() && outcome.log.len() == 1 && outcome.log[0].starts_with("main "),
        "{outcome:#?}"
    );
}

/// A descriptor that looks like the program's but was made by another program (here, the
/// test, which is the copy's parent and runs as the same user, but is not the same
/// executable) is no proof: the process never becomes a guardian (the path it is sent stays)
/// and, since the variable, the name and the descriptor said it was meant to be one, it ends
/// quietly without running `main`.
#[test]
fn a_descriptor_from_another_program_is_no_proof() {
    use std::os::unix::process::CommandExt as _;

    let root = scratch("forged");
    let keep = root.join("keep");
    fs::create_dir(&keep).unwrap();
    let (ours, theirs) = socket_pair();
    let mut scenario =
        Scenario::new(ONCE).env("ON_EXIT_GUARDIAN", &format!("v1:{}", std::process::id()));
    scenario
        .command()
        .stdin(Stdio::from(theirs))
        .arg0("on-exit-guard");
    let running = scenario.spawn();
    // What a program would send: a path frame (whatever its exact shape, a guardian would
    // at least read it), then the end of the channel.
    let _ = write_to(&ours, keep.as_os_str().as_encoded_bytes());
    drop(ours);
    let outcome = running.finish();
    assert!(outcome.log.is_empty(), "main ran: {outcome:#?}");
    assert_eq!(outcome.status.code(), Some(1), "{outcome:#?}");
    assert!(outcome.stderr.is_empty(), "{outcome:#?}");
    assert!(keep.is_dir());
    let _ = fs::remove_dir_all(&root);
}

fn write_to(fd: &OwnedFd, bytes: &[u8]) -> isize {
    use std::os::fd::AsRawFd as _;
    // SAFETY: writes `bytes` to an open socket.
    unsafe {
        libc::send(
            fd.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_NOSIGNAL,
        )
    }
}

/// In a secure-execution process (here setgid to another group) the hook does nothing at all,
/// whatever the variable and descriptor say, and no guardian is started. Needs root (to make
/// the setgid copy); skipped loudly otherwise.
#[test]
fn a_setgid_program_is_left_alone_and_starts_no_guardian() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: making a setgid program needs root");
        return;
    }
    let root = scratch("setgid");
    let copy = root.join("guardian_once");
    // Copied by `cp`: a descriptor open for writing here could be inherited by a process
    // another test forks meanwhile, and exec would fail with ETXTBSY.
    assert!(Command::new("cp")
        .arg(ONCE)
        .arg(&copy)
        .status()
        .unwrap()
        .success());
    let path = std::ffi::CString::new(copy.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: chown and chmod on a NUL-terminated path we made.
    unsafe {
        assert_eq!(libc::chown(path.as_ptr(), 0, 65_534), 0);
        assert_eq!(libc::chmod(path.as_ptr(), 0o2755), 0);
    }
    let copy = copy.to_str().unwrap();
    let us = std::process::id();
    for (value, socket) in [(format!("v1:{us}:0"), false), (format!("v1:{us}"), true)] {
        let mut scenario = Scenario::new(copy)
            .env("ON_EXIT_GUARDIAN", &value)
            .env("ON_EXIT_REMOVE", root.join("armed").to_str().unwrap());
        let mut ours = None;
        if socket {
            let (mine, theirs) = socket_pair();
            scenario.command().stdin(Stdio::from(theirs));
            ours = Some(mine);
        }
        let outcome = scenario.run();
        drop(ours);
        assert!(outcome.status.success(), "{value}: {outcome:#?}");
        assert!(outcome.log[0].starts_with("main "), "{value}: {outcome:#?}");
        assert!(
            outcome.log[1].starts_with("error Unsupported") && outcome.log[1].contains("setgid"),
            "{value}: {outcome:#?}"
        );
    }
    let _ = fs::remove_dir_all(&root);
}

/// The lines of `log` that say `main` ran.
fn mains(log: &Path) -> Vec<String> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.starts_with("main "))
        .map(str::to_owned)
        .collect()
}

/// `main` runs once per start: a `kill -9` of the program at any moment of its first
/// milliseconds, including between spawning the guardian's copy and the copy's hook, never
/// makes the copy run the program's `main` (which today it did when it found its parent
/// changed). 200 starts, killed 0 to 2 ms after `main` began.
#[test]
fn a_kill_while_the_guardian_starts_never_runs_main_twice() {
    let root = scratch("once");
    let starts = 200;
    let mut logs = Vec::new();
    for start in 0..starts {
        let log = root.join(format!("{start}.log"));
        let mut child = Command::new(ONCE)
            .env("ON_EXIT_LOG", &log)
            .env("ON_EXIT_REMOVE", root.join(format!("{start}.armed")))
            .env("ON_EXIT_END", "sleep:5000")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let began = Instant::now();
        while mains(&log).is_empty() {
            assert!(began.elapsed() < support::HANG, "main never ran");
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_micros(100 * (start % 20)));
        send(i32::try_from(child.id()).unwrap(), libc::SIGKILL);
        child.wait().unwrap();
        logs.push((child.id(), log));
    }
    // A copy that wrongly ran `main` writes its line within milliseconds of its start.
    std::thread::sleep(Duration::from_secs(1));
    let twice: Vec<_> = logs
        .iter()
        .filter_map(|(pid, log)| {
            let lines = mains(log);
            (lines != [format!("main {pid}")]).then_some(lines)
        })
        .collect();
    assert!(
        twice.is_empty(),
        "{} of {starts} starts ran main in another process: {twice:?}",
        twice.len()
    );
    let _ = fs::remove_dir_all(&root);
}

/// As PID 1 the kernel ends the guardian with the program (it is in the program's PID
/// namespace, which dies with its PID 1): the first call says so, once, on stderr.
#[test]
fn as_pid_1_the_first_call_says_what_the_guardian_cannot_do() {
    if !support::pid_namespaces_work() {
        return;
    }
    let root = scratch("pid1");
    let paths = format!("{},{}", root.join("a").display(), root.join("b").display());
    let outcome = Scenario::wrapped(ONCE, &["unshare", "--pid", "--fork", "--mount-proc"])
        .env("ON_EXIT_REMOVE", &paths)
        .run();
    assert!(outcome.status.success(), "{outcome:#?}");
    assert_eq!(outcome.log, ["main 1", "armed", "armed"], "{outcome:#?}");
    let said: Vec<_> = outcome
        .stderr
        .lines()
        .filter(|line| line.contains("PID 1"))
        .collect();
    assert_eq!(said.len(), 1, "{outcome:#?}");
    assert!(
        said[0].starts_with("on-exit: ") && said[0].contains("remove_on_exit"),
        "{said:?}"
    );
    let _ = fs::remove_dir_all(&root);
}
