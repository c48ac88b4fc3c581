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

/// Starts `scenario` on a new terminal, types Ctrl-C into it once the child is ready, and
/// waits for the end; the terminal stays open until then (closing it would hang it up).
fn ctrl_c_typed(scenario: Scenario) -> Outcome {
    let (mut running, mut terminal) = spawn_on_a_terminal(scenario);
    running.wait_for("child ready");
    terminal
        .write_all(b"\x03")
        .expect("typing into the terminal");
    let outcome = running.finish();
    drop(terminal);
    outcome
}

#[test]
fn ctrl_c_typed_on_a_terminal_reaches_the_child_exactly_once() {
    let outcome = ctrl_c_typed(wrapper("after-signal:300:die:2"));
    assert_eq!(child_got(&outcome), ["child got 2"], "{outcome:#?}");
    outcome.assert_cleaned_once("Exited");
    // A shell shows `$?` = 130.
    outcome.assert_killed_by(libc::SIGINT);
}

#[test]
fn ctrl_c_reaches_a_child_in_a_group_of_its_own_once_through_the_wrapper() {
    let outcome = ctrl_c_typed(wrapper("after-signal:300:die:2").env("EXEC_OWN_GROUP", "1"));
    assert_eq!(child_got(&outcome), ["child got 2"], "{outcome:#?}");
    outcome.assert_cleaned_once("Exited");
    outcome.assert_killed_by(libc::SIGINT);
}

#[test]
fn ctrl_c_to_a_child_that_survives_it_does_not_end_the_wrapper() {
    let outcome = ctrl_c_typed(wrapper("after-signal:300:code:0"));
    assert_eq!(child_got(&outcome), ["child got 2"], "{outcome:#?}");
    outcome.assert_cleaned_once("Exited");
    outcome.assert_code(0);
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

#[test]
fn an_ignored_sigchld_inherited_from_the_parent_does_not_lose_the_child_s_ending() {
    use std::os::unix::process::CommandExt as _;

    for (how, code, signal) in [("code:3", Some(3), None), ("die:15", None, Some(15))] {
        let mut scenario = wrapper(how);
        // SAFETY: between fork and exec only signal(), which is async-signal-safe.
        unsafe {
            scenario.command().pre_exec(|| {
                libc::signal(libc::SIGCHLD, libc::SIG_IGN);
                Ok(())
            });
        }
        let outcome = scenario.run();
        outcome.assert_cleaned_once("Exited");
        assert!(!outcome.stderr.contains("cannot wait"), "{outcome:#?}");
        match (code, signal) {
            (Some(code), _) => outcome.assert_code(code),
            (_, Some(signal)) => outcome.assert_killed_by(signal),
            _ => unreachable!(),
        }
    }
}

#[test]
fn exec_in_a_cleanup_that_a_signal_started_is_refused_and_starts_nothing() {
    const IN_CLEANUP: &str = env!("CARGO_BIN_EXE_exec_in_cleanup");
    // The child would log `child ready` as it starts, then wait a minute for a signal.
    let running = Scenario::new(IN_CLEANUP)
        .env("EXEC_CHILD", "after-signal:0:code:0")
        .arg(CHILD)
        .start();
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    assert!(
        outcome.log.iter().any(|line| line
            == "exec returned: on_exit::exec cannot run the command: the program is already ending by SIGTERM"),
        "{outcome:#?}"
    );
    assert!(
        !outcome.log.iter().any(|line| line == "child ready"),
        "{outcome:#?}"
    );
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
}

#[test]
fn exec_on_two_threads_at_once_runs_one_command_and_refuses_the_other() {
    for _ in 0..5 {
        let outcome = wrapper("sleep:200").env("EXEC_TWICE", "1").run();
        let done = outcome.log.iter().filter(|line| *line == "child done");
        assert_eq!(done.count(), 1, "one command ran: {outcome:#?}");
        let refused: Vec<_> = outcome
            .log
            .iter()
            .filter(|line| line.starts_with("exec returned: "))
            .collect();
        assert_eq!(
            refused,
            ["exec returned: on_exit::exec cannot run the command: another call of it already runs the program's last command"],
            "{outcome:#?}"
        );
        outcome.assert_cleaned_once("Exited");
        outcome.assert_code(0);
    }
}

/// A command that stops itself (`kill -STOP`, or `SIGTSTP` as a program does for Ctrl-Z in
/// raw mode) stops the wrapper by the same signal; continuing the wrapper continues it.
#[test]
fn a_command_that_stops_itself_stops_the_wrapper_and_continues_with_it() {
    use std::os::unix::process::CommandExt as _;

    for signal in [libc::SIGSTOP, libc::SIGTSTP] {
        let mut scenario = wrapper(&format!("stop:{signal}:code:7"));
        // A group of its own, which its parent (this test, of the same session) keeps from
        // being orphaned: `SIGTSTP` stops it, and a failed test can end the whole group.
        scenario.command().process_group(0);
        let mut running = scenario.spawn();
        running.wait_for("child stops");
        let pid = running.pid();
        let stopped = std::panic::catch_unwind(|| support::shell::wait_until_stopped(pid));
        if let Err(panic) = stopped {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            std::panic::resume_unwind(panic);
        }
        running.signal(libc::SIGCONT);
        let outcome = running.finish();
        assert!(
            outcome.log.iter().any(|line| line == "child continued"),
            "{outcome:#?}"
        );
        outcome.assert_cleaned_once("Exited");
        outcome.assert_code(7);
    }
}

/// The same under an interactive bash on a terminal: the shell sees the job stopped, and
/// `fg` brings the command back; `$?` is its code.
#[test]
fn a_shell_sees_the_wrapper_stopped_with_its_command_and_fg_continues_both() {
    let mut shell = support::shell::Shell::start(&[("EXEC_CHILD", "stop:20:code:7")]);
    shell.type_line(&format!("{EXEC} {CHILD}"));
    shell.running.wait_for("child stops");
    shell.wait_until_shown("Stopped");
    // `fg`'s status is the job's.
    shell.type_line("fg; echo \"status=$?\"");
    shell.wait_until_shown("status=7");
    let log = shell.running.log();
    assert!(log.iter().any(|line| line == "child continued"), "{log:?}");
    assert_eq!(
        log.iter()
            .filter(|line| line.starts_with("cleanup "))
            .collect::<Vec<_>>(),
        ["cleanup Exited", "cleanup done"],
        "{log:?}"
    );
    shell.exit().assert_code(0);
}
