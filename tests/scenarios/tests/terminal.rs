//! The endings that come from outside the program's control: Ctrl-C typed into a real
//! pseudo-terminal, the terminal hanging up, and the program running as PID 1.
#![cfg(target_os = "linux")]

mod support;

use std::io::Write as _;
use std::process::{Command, Stdio};

use support::{spawn_on_a_terminal, Scenario};

const BASIC: &str = env!("CARGO_BIN_EXE_basic");

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
