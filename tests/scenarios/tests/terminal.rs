//! The endings that come from outside the program's control: Ctrl-C typed into a real
//! pseudo-terminal, the terminal hanging up, and the program running as PID 1.
#![cfg(target_os = "linux")]

mod support;

use std::fs::File;
use std::io::Write as _;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::ptr;

use support::{Running, Scenario};

const BASIC: &str = env!("CARGO_BIN_EXE_basic");

/// Starts the program as the session leader of a new pseudo-terminal, which becomes its
/// controlling terminal and its stdin, stdout and stderr. Returns the master side.
fn spawn_on_a_terminal(scenario: Scenario) -> (Running, File) {
    let mut master = -1;
    let mut slave = -1;
    // SAFETY: openpty writes two fds into valid pointers; null name, termios and winsize ask
    // for the defaults (ISIG on, ^C as VINTR).
    let result = unsafe {
        libc::openpty(
            &raw mut master,
            &raw mut slave,
            ptr::null_mut(),
            ptr::null(),
            ptr::null(),
        )
    };
    assert_eq!(result, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty returned two fds that nothing else owns.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // The child must not keep the master open, or closing ours would not hang up.
    // SAFETY: fcntl on an fd we own.
    unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };

    let mut scenario = scenario;
    let command: &mut Command = scenario.command();
    command
        .stdin(Stdio::from(slave.try_clone().expect("dup")))
        .stdout(Stdio::from(slave.try_clone().expect("dup")))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    (scenario.spawn(), File::from(master))
}

#[test]
fn ctrl_c_typed_on_a_terminal() {
    let (mut running, mut terminal) =
        spawn_on_a_terminal(Scenario::new(BASIC).env("ON_EXIT_MAIN", "wait"));
    running.wait_for("ready");
    terminal
        .write_all(b"\x03")
        .expect("typing into the terminal");
    let outcome = running.finish();
    outcome.assert_cleaned_once("Signal(Interrupt)");
    outcome.assert_killed_by(libc::SIGINT);
    drop(terminal);
}

#[test]
fn the_terminal_hanging_up() {
    let (mut running, terminal) = spawn_on_a_terminal(Scenario::waiting(BASIC, "slow:200"));
    running.wait_for("ready");
    // Closing the master side is the terminal window going away: SIGHUP to the session.
    drop(terminal);
    let outcome = running.finish();
    outcome.assert_cleaned_once("Signal(Hangup)");
    outcome.assert_killed_by(libc::SIGHUP);
}

/// The pid, in this namespace, of the only child of `parent`.
fn only_child(parent: u32) -> Option<i32> {
    let children =
        std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).ok()?;
    children.split_whitespace().next()?.parse().ok()
}

fn unshare_works() -> bool {
    let works = Command::new("unshare")
        .args(["--pid", "--fork", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !works {
        eprintln!("SKIPPED: `unshare --pid --fork` is not permitted on this machine");
    }
    works
}

#[test]
fn as_pid_1_it_exits_128_plus_n_instead_of_crashing() {
    if !unshare_works() {
        return;
    }
    for (signal, reason) in [
        (libc::SIGTERM, "Signal(Terminate)"),
        (libc::SIGINT, "Signal(Interrupt)"),
    ] {
        let mut running = Scenario::wrapped(BASIC, &["unshare", "--pid", "--fork"])
            .env("ON_EXIT_MAIN", "wait")
            .spawn();
        running.wait_for("ready");
        let pid_1 = only_child(running.child.id()).expect("unshare has forked the program");
        support::send(pid_1, signal);
        let outcome = running.finish();
        outcome.assert_cleaned_once(reason);
        // unshare passes on its child's exit code.
        outcome.assert_code(128 + signal);
    }
}

#[test]
fn runtime_messages_after_the_terminal_is_gone_do_not_panic() {
    // The timeout's warning is written to stderr, which is the hung-up terminal: the write
    // fails (EIO) and the process still ends by the signal, not by a panic.
    let (mut running, terminal) = spawn_on_a_terminal(Scenario::waiting(
        env!("CARGO_BIN_EXE_timeout"),
        "slow:30000",
    ));
    running.wait_for("ready");
    drop(terminal);
    let outcome = running.finish();
    assert_eq!(
        outcome.cleanups(),
        ["cleanup Signal(Hangup)"],
        "{outcome:#?}"
    );
    assert!(!outcome.finished_cleanup(), "{outcome:#?}");
    outcome.assert_killed_by(libc::SIGHUP);
}
