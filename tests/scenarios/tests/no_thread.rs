//! A process at its thread limit (a user at its `RLIMIT_NPROC`). When the runtime cannot
//! start its signal thread, no signal is swallowed: each keeps its default action, the failure
//! is said once on stderr, and the other endings still run the cleanup. When it has its
//! signal thread but `exit` cannot start one more, that thread runs the cleanups, so a
//! cleanup's own `exit` does not abort. Real limits, a real unprivileged user.
#![cfg(target_os = "linux")]

mod support;

use std::os::unix::process::CommandExt as _;
use std::path::Path;

use support::{others_may_run, Running, Scenario};

const BASIC: &str = env!("CARGO_BIN_EXE_basic");

/// `scenario` as user `user` (a number no one else uses: the limit counts all of a user's
/// processes) with `threads` processes or threads allowed (1: the program's own thread is its
/// last). `None` where this test process cannot change users (not root).
fn with_threads(user: u32, threads: libc::rlim_t, mut scenario: Scenario) -> Option<Scenario> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("!!! SKIPPED: changing users needs root");
        return None;
    }
    if !others_may_run(Path::new(BASIC)) {
        eprintln!("!!! SKIPPED: {BASIC} is in a folder other users may not enter (a clone under mktemp -d?)");
        return None;
    }
    // SAFETY: between fork and exec the closure only makes system calls (setrlimit, setgid,
    // setuid), which are async-signal-safe, and allocates nothing.
    unsafe {
        scenario.command().pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: threads,
                rlim_max: threads,
            };
            if libc::setrlimit(libc::RLIMIT_NPROC, std::ptr::addr_of!(limit)) != 0
                || libc::setgid(user) != 0
                || libc::setuid(user) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Some(scenario)
}

fn said_once(running_stderr: &str) {
    let lines = running_stderr
        .lines()
        .filter(|line| line.contains("cannot start the signal thread"))
        .count();
    assert_eq!(lines, 1, "{running_stderr}");
}

#[test]
fn sigterm_keeps_its_default_action_without_the_thread() {
    let Some(scenario) = with_threads(61_001, 1, Scenario::new(BASIC).env("ON_EXIT_MAIN", "wait"))
    else {
        return;
    };
    let running: Running = scenario.start();
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    // Not swallowed: killed by it, at once (the cleanup cannot run without the thread).
    outcome.assert_killed_by(libc::SIGTERM);
    said_once(&outcome.stderr);
}

#[test]
fn a_cleanup_that_exits_at_the_thread_limit_does_not_abort() {
    // The program and its signal thread: `exit` cannot start a thread for the cleanups.
    let Some(scenario) = with_threads(
        61_002,
        2,
        Scenario::new(BASIC)
            .env("ON_EXIT_MAIN", "exit:3")
            .env("ON_EXIT_CLEANUP", "exit:5"),
    ) else {
        return;
    };
    let outcome = scenario.run();
    // As with threads to spare: the cleanup's `exit` parks its thread, and the process ends
    // with the code of the thread already exiting.
    outcome.assert_code(3);
    assert_eq!(outcome.log, ["ready", "cleanup Exited"], "{outcome:#?}");
    assert!(
        !outcome.stderr.contains("re-entrantly"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn exit_without_the_thread_runs_the_cleanup() {
    let Some(scenario) = with_threads(
        61_003,
        1,
        Scenario::new(BASIC).env("ON_EXIT_MAIN", "exit:3"),
    ) else {
        return;
    };
    let outcome = scenario.run();
    outcome.assert_code(3);
    outcome.assert_cleaned_once("Exited");
    said_once(&outcome.stderr);
}

#[test]
fn main_returning_without_the_thread_runs_the_cleanup() {
    let Some(scenario) = with_threads(61_004, 1, Scenario::new(BASIC)) else {
        return;
    };
    let outcome = scenario.run();
    outcome.assert_code(0);
    outcome.assert_cleaned_once("Returned");
    said_once(&outcome.stderr);
}
