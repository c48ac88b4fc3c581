//! `on_exit::exec`: the wrapper ends the way its child ended, runs its cleanup once told
//! `Exited`, passes a supervisor's signal on to the child once, and does not send the
//! terminal's Ctrl-C again (the child got it from the terminal).
#![cfg(target_os = "linux")]

mod support;

use std::io::Write as _;

use support::{spawn_on_a_terminal, Outcome, Running, Scenario};

const EXEC: &str = env!("CARGO_BIN_EXE_exec");
const CHILD: &str = env!("CARGO_BIN_EXE_exec_child");

/// The wrapper running `exec_child` with `EXEC_CHILD=how`.
fn wrapper(how: &str) -> Scenario {
    Scenario::new(EXEC).env("EXEC_CHILD", how).arg(CHILD)
}

/// The lines `exec_child` logged for each signal it got.
fn child_got(outcome: &Outcome) -> Vec<&str> {
    outcome
        .log
        .iter()
        .filter(|line| line.starts_with("child got "))
        .map(String::as_str)
        .collect()
}

fn started(scenario: Scenario) -> Running {
    let mut running = scenario.spawn();
    running.wait_for("child ready");
    running
}

#[test]
fn the_wrapper_exits_with_the_child_s_code() {
    for code in [0, 3, 255] {
        let outcome = wrapper(&format!("code:{code}")).run();
        outcome.assert_cleaned_once("Exited");
        outcome.assert_code(code);
    }
}

#[test]
fn the_wrapper_dies_by_the_signal_that_killed_the_child() {
    for signal in [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGKILL,
        libc::SIGUSR1,
        libc::SIGSEGV,
    ] {
        let outcome = wrapper(&format!("die:{signal}")).run();
        outcome.assert_cleaned_once("Exited");
        outcome.assert_killed_by(signal);
    }
}

#[test]
fn a_supervisor_s_sigterm_reaches_the_child_once_and_the_child_decides() {
    // The child ignores SIGTERM (it only logs it), then exits 7: so does the wrapper.
    let running = started(wrapper("after-signal:300:code:7"));
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    assert_eq!(child_got(&outcome), ["child got 15"], "{outcome:#?}");
    outcome.assert_cleaned_once("Exited");
    outcome.assert_code(7);
}

#[test]
fn a_supervisor_s_sigterm_that_kills_the_child_kills_the_wrapper_by_it() {
    let running = started(wrapper("after-signal:0:die:15"));
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    assert_eq!(child_got(&outcome), ["child got 15"], "{outcome:#?}");
    outcome.assert_cleaned_once("Exited");
    outcome.assert_killed_by(libc::SIGTERM);
}

#[test]
fn ctrl_c_typed_on_a_terminal_reaches_the_child_exactly_once() {
    let (mut running, mut terminal) = spawn_on_a_terminal(wrapper("after-signal:300:die:2"));
    running.wait_for("child ready");
    terminal
        .write_all(b"\x03")
        .expect("typing into the terminal");
    let outcome = running.finish();
    assert_eq!(child_got(&outcome), ["child got 2"], "{outcome:#?}");
    outcome.assert_cleaned_once("Exited");
    // A shell shows `$?` = 130.
    outcome.assert_killed_by(libc::SIGINT);
    drop(terminal);
}

#[test]
fn ctrl_c_reaches_a_child_in_a_group_of_its_own_once_through_the_wrapper() {
    let scenario = wrapper("after-signal:300:die:2").env("EXEC_OWN_GROUP", "1");
    let (mut running, mut terminal) = spawn_on_a_terminal(scenario);
    running.wait_for("child ready");
    terminal
        .write_all(b"\x03")
        .expect("typing into the terminal");
    let outcome = running.finish();
    assert_eq!(child_got(&outcome), ["child got 2"], "{outcome:#?}");
    outcome.assert_cleaned_once("Exited");
    outcome.assert_killed_by(libc::SIGINT);
    drop(terminal);
}

#[test]
fn ctrl_c_to_a_child_that_survives_it_does_not_end_the_wrapper() {
    let (mut running, mut terminal) = spawn_on_a_terminal(wrapper("after-signal:300:code:0"));
    running.wait_for("child ready");
    terminal
        .write_all(b"\x03")
        .expect("typing into the terminal");
    let outcome = running.finish();
    assert_eq!(child_got(&outcome), ["child got 2"], "{outcome:#?}");
    outcome.assert_cleaned_once("Exited");
    outcome.assert_code(0);
    drop(terminal);
}

#[test]
fn the_terminal_hanging_up_reaches_the_child_once() {
    let (mut running, terminal) = spawn_on_a_terminal(wrapper("after-signal:100:die:1"));
    running.wait_for("child ready");
    drop(terminal);
    let outcome = running.finish();
    assert_eq!(child_got(&outcome), ["child got 1"], "{outcome:#?}");
    outcome.assert_cleaned_once("Exited");
    outcome.assert_killed_by(libc::SIGHUP);
}

#[test]
fn a_command_that_cannot_start_returns_the_error() {
    let outcome = Scenario::new(EXEC)
        .arg("/nonexistent/on-exit-command")
        .run();
    assert!(
        outcome
            .log
            .iter()
            .any(|line| line.starts_with("exec returned: No such file")),
        "{outcome:#?}"
    );
    outcome.assert_cleaned_once("Exited");
    outcome.assert_code(127);
}

#[test]
fn an_exit_on_another_thread_waits_for_the_command() {
    let outcome = wrapper("sleep:500").env("EXEC_EXIT_AFTER", "50:5").run();
    let position = |line: &str| outcome.log.iter().position(|logged| logged == line);
    let exits = position("another thread exits").expect("the thread exits");
    let done = position("child done").expect("the command ran to its end");
    let cleanup = position("cleanup Exited").expect("the cleanup ran");
    assert!(exits < done && done < cleanup, "{outcome:#?}");
    outcome.assert_cleaned_once("Exited");
    outcome.assert_code(5);
}
