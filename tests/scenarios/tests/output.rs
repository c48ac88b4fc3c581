//! The last output: what the program left in std's stdout buffer reaches the reader of the
//! pipe before the process dies by a signal or ends through `on_exit::exit`, and a thread
//! holding stdout's lock does not hang the ending.
#![cfg(unix)]

mod support;

use std::io::Read as _;
use std::process::{ChildStdout, Stdio};
use std::thread;
use std::time::Duration;

use support::{Running, Scenario};

const BASIC: &str = env!("CARGO_BIN_EXE_basic");

/// Starts `scenario` with its stdout on a pipe; the pipe's reader end, not read yet.
fn start_piped(mut scenario: Scenario) -> (Running, ChildStdout) {
    scenario.command().stdout(Stdio::piped());
    let mut running = scenario.spawn();
    let stdout = running.child.stdout.take().expect("stdout is piped");
    running.wait_for("ready");
    (running, stdout)
}

fn read_all(mut stdout: ChildStdout) -> String {
    let mut text = String::new();
    stdout.read_to_string(&mut text).expect("the pipe reads");
    text
}

#[test]
fn a_print_without_newline_reaches_the_pipe_before_death_by_sigterm() {
    let scenario = Scenario::waiting(BASIC, "quick").env("ON_EXIT_STDOUT", "partial");
    let (running, stdout) = start_piped(scenario);
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
    assert_eq!(read_all(stdout), "partial", "{outcome:#?}");
}

#[test]
fn a_thread_stuck_holding_stdout_does_not_hang_death_by_sigterm() {
    let scenario = Scenario::waiting(BASIC, "quick").env("ON_EXIT_STDOUT", "stuck");
    // Nobody reads the pipe: the writer stays blocked with the lock held.
    let (running, stdout) = start_piped(scenario);
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
    // The flush waits 200 ms at most; a hang would be caught by `finish` after a minute.
    assert!(outcome.elapsed < Duration::from_secs(10), "{outcome:#?}");
    drop(stdout);
}

#[test]
fn on_exit_exit_with_a_thread_stuck_holding_stdout_still_ends() {
    let scenario = Scenario::new(BASIC)
        .env("ON_EXIT_STDOUT", "stuck")
        .env("ON_EXIT_MAIN", "on-exit:3");
    let (running, stdout) = start_piped(scenario);
    let outcome = running.finish();
    outcome.assert_cleaned_once("Exited");
    outcome.assert_code(3);
    assert!(outcome.elapsed < Duration::from_secs(10), "{outcome:#?}");
    drop(stdout);
}

#[test]
fn a_print_without_newline_reaches_the_pipe_when_a_signal_ends_on_exit_exit() {
    // The cleanup is slow; `main` calls `on_exit::exit` after the signal came: the process
    // dies by the signal, with its last output written.
    let scenario = Scenario::waiting(BASIC, "slow:100")
        .env("ON_EXIT_STDOUT", "partial")
        .env("ON_EXIT_THEN", "on-exit:3");
    let (running, stdout) = start_piped(scenario);
    running.signal(libc::SIGTERM);
    let reader = thread::spawn(move || read_all(stdout));
    let outcome = running.finish();
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
    assert_eq!(
        reader.join().expect("the reader"),
        "partial",
        "{outcome:#?}"
    );
}
