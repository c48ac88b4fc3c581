//! Fork: a forked child never swallows a signal, and runs none of its parent's cleanups; a
//! child that registers its own runs those, once. Real `fork`s, real signals, to real process
//! groups.
#![cfg(target_os = "linux")]

mod support;

use std::os::unix::process::CommandExt as _;
use std::thread;
use std::time::{Duration, Instant};

use support::{assert_gone_soon, gone, send, Running, Scenario, HANG};

const FORK: &str = env!("CARGO_BIN_EXE_fork");

/// Starts the fork scenario in a process group of its own.
fn start(how: &str, worker: &str) -> Running {
    let mut scenario = Scenario::new(FORK)
        .env("ON_EXIT_FORK", how)
        .env("ON_EXIT_WORKER", worker);
    scenario.command().process_group(0);
    scenario.spawn()
}

/// Waits until `count` log lines end with `suffix`; returns their process ids.
fn pids_saying(running: &Running, suffix: &str, count: usize) -> Vec<i32> {
    let start = Instant::now();
    loop {
        let pids: Vec<i32> = running
            .log()
            .iter()
            .filter(|line| line.ends_with(suffix))
            .map(|line| line.split(' ').next().unwrap().parse().unwrap())
            .collect();
        if pids.len() >= count {
            return pids;
        }
        assert!(
            start.elapsed() < HANG,
            "no {count} x {suffix:?}: {:?}",
            running.log()
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// The lines that process `pid` logged.
fn lines_of(log: &[String], pid: i32) -> Vec<String> {
    let prefix = format!("{pid} ");
    log.iter()
        .filter_map(|line| line.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}

#[test]
fn ctrl_c_to_a_group_of_parent_and_forked_workers_ends_them_all() {
    let running = start("workers:3", "");
    let workers = pids_saying(&running, " worker ready", 3);
    let parent = pids_saying(&running, " ready", 4)
        .into_iter()
        .find(|pid| !workers.contains(pid))
        .unwrap();
    // What a terminal does on Ctrl-C: the signal to the whole foreground group.
    send(-running.pid(), libc::SIGINT);
    let outcome = running.finish();
    outcome.assert_killed_by(libc::SIGINT);
    assert_gone_soon(&workers);
    assert_eq!(
        lines_of(&outcome.log, parent)
            .iter()
            .filter(|line| line.starts_with("cleanup"))
            .collect::<Vec<_>>(),
        ["cleanup Signal(Interrupt)"],
        "{outcome:#?}"
    );
    for worker in workers {
        assert_eq!(
            lines_of(&outcome.log, worker),
            ["worker ready"],
            "{outcome:#?}"
        );
    }
}

#[test]
fn sigterm_to_a_forked_worker_ends_it_by_sigterm_without_the_parents_cleanup() {
    let running = start("workers:1", "");
    let worker = pids_saying(&running, " worker ready", 1)[0];
    send(worker, libc::SIGTERM);
    // The parent's waitpid sees the raw wait status: killed by SIGTERM is 15.
    pids_saying(
        &running,
        &format!("worker {worker} ended: {}", libc::SIGTERM),
        1,
    );
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    outcome.assert_killed_by(libc::SIGTERM);
    assert_eq!(
        lines_of(&outcome.log, worker),
        ["worker ready"],
        "{outcome:#?}"
    );
    assert_cleaned_once_by_one_process(&outcome.log, "cleanup Signal(Terminate)");
}

/// A worker that handles `SIGTERM` itself (through `handler`) gets it, as if on-exit were not
/// there: its handler runs, and it ends as it chooses (exit 0), not killed by on-exit first.
fn a_worker_handling_sigterm_itself_gets_it(handler: &str) {
    let running = start("workers:1", handler);
    let worker = pids_saying(&running, " worker ready", 1)[0];
    send(worker, libc::SIGTERM);
    // The parent's waitpid sees the raw wait status: exit 0 is 0.
    pids_saying(&running, &format!("worker {worker} ended: 0"), 1);
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    outcome.assert_killed_by(libc::SIGTERM);
    assert_eq!(
        lines_of(&outcome.log, worker),
        ["worker ready", "worker handled SIGTERM"],
        "{outcome:#?}"
    );
    assert_cleaned_once_by_one_process(&outcome.log, "cleanup Signal(Terminate)");
}

#[test]
fn a_forked_worker_handling_sigterm_with_signal_hook_gets_it() {
    a_worker_handling_sigterm_itself_gets_it("signal-hook");
}

#[test]
fn a_forked_worker_handling_sigterm_with_tokio_gets_it() {
    a_worker_handling_sigterm_itself_gets_it("tokio");
}

#[test]
fn a_signal_that_reaches_a_child_before_its_fork_handlers_is_not_swallowed() {
    let outcome = start("kill-at-once:100", "").finish();
    outcome.assert_code(0);
    let statuses: Vec<&str> = outcome
        .log
        .iter()
        .filter_map(|line| line.split_once(" worker ended: ").map(|(_, status)| status))
        .collect();
    assert_eq!(statuses.len(), 100, "{outcome:#?}");
    // Killed by SIGTERM (raw status 15) every time, never the worker's own `_exit(7)`.
    let survived = statuses.iter().filter(|status| **status != "15").count();
    assert_eq!(survived, 0, "{statuses:?}");
}

#[test]
fn a_child_made_without_fork_handles_signals_as_if_on_exit_were_not_there() {
    let running = start("clone", "");
    let child = pids_saying(&running, " clone child ready", 1)[0];
    send(child, libc::SIGTERM);
    let outcome = running.finish();
    outcome.assert_code(0);
    assert!(
        outcome
            .log
            .iter()
            .any(|line| line.ends_with(&format!(" clone child ended: {}", libc::SIGTERM))),
        "{outcome:#?}"
    );
    assert_cleaned_once_by_one_process(&outcome.log, "cleanup Returned");
}

#[test]
fn a_child_made_without_fork_runs_none_of_its_parents_cleanups() {
    let outcome = start("clone", "exit").finish();
    outcome.assert_code(0);
    assert!(
        outcome
            .log
            .iter()
            .any(|line| line.ends_with(" clone child ended: 0")),
        "{outcome:#?}"
    );
    assert_cleaned_once_by_one_process(&outcome.log, "cleanup Returned");
}

#[test]
fn the_first_register_racing_forks_never_hangs_a_child() {
    for _ in 0..10 {
        let outcome = Scenario::new(env!("CARGO_BIN_EXE_fork_register_race")).run();
        outcome.assert_code(0);
        assert_eq!(
            outcome.log,
            ["children that did not leave with _exit(0): 0"],
            "{outcome:#?}"
        );
    }
}

#[test]
fn a_child_forked_by_a_cleanup_runs_no_more_of_them() {
    let outcome = start("fork-in-cleanup", "").finish();
    outcome.assert_code(0);
    let child = outcome
        .log
        .iter()
        .find(|line| line.ends_with(" forked by a cleanup"))
        .and_then(|line| line.split(' ').next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no child line: {outcome:#?}"));
    assert_eq!(
        lines_of(&outcome.log, child),
        ["forked by a cleanup"],
        "{outcome:#?}"
    );
    let handler: Vec<&String> = outcome
        .log
        .iter()
        .filter(|line| line.ends_with(" cleanup Returned"))
        .collect();
    assert_eq!(handler.len(), 1, "{outcome:#?}");
    assert!(
        !handler[0].starts_with(&format!("{child} ")),
        "{outcome:#?}"
    );
}

#[test]
fn a_parents_scoped_guard_dropped_in_a_child_runs_nothing_there() {
    let outcome = start("scoped", "").finish();
    outcome.assert_code(0);
    let child = outcome
        .log
        .iter()
        .find(|line| line.ends_with(" child dropped its copy of the parent's guard"))
        .and_then(|line| line.split(' ').next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no child line: {outcome:#?}"));
    // The drop took back nothing of the child's own: its cleanups ran at its exit, newest
    // first, once each; and the parent's scoped cleanup never ran in it.
    assert_eq!(
        lines_of(&outcome.log, child),
        [
            "child dropped its copy of the parent's guard",
            "child cleanup B",
            "child cleanup A"
        ],
        "{outcome:#?}"
    );
    let parent: Vec<&String> = outcome
        .log
        .iter()
        .filter(|line| !line.starts_with(&format!("{child} ")))
        .collect();
    assert_eq!(
        parent
            .iter()
            .map(|line| line.split_once(' ').unwrap().1)
            .collect::<Vec<_>>(),
        ["parent scoped cleanup", "cleanup Returned"],
        "{outcome:#?}"
    );
}

#[test]
fn workers_that_exit_run_none_of_their_parents_cleanups() {
    let outcome = start("workers:2", "exit").finish();
    outcome.assert_code(0);
    assert_cleaned_once_by_one_process(&outcome.log, "cleanup Returned");
    let exited = outcome
        .log
        .iter()
        .filter(|line| line.ends_with(" worker exits"))
        .count();
    assert_eq!(exited, 2, "{outcome:#?}");
}

#[test]
fn a_worker_with_a_cleanup_of_its_own_runs_only_that_one() {
    let running = start("workers:1", "register");
    let worker = pids_saying(&running, " worker ready", 1)[0];
    send(worker, libc::SIGTERM);
    pids_saying(
        &running,
        &format!("worker {worker} ended: {}", libc::SIGTERM),
        1,
    );
    running.signal(libc::SIGINT);
    let outcome = running.finish();
    outcome.assert_killed_by(libc::SIGINT);
    assert_eq!(
        lines_of(&outcome.log, worker),
        ["worker ready", "worker cleanup Signal(Terminate)"],
        "{outcome:#?}"
    );
    // The parent's cleanup ran once, in the parent.
    let cleanups: Vec<&String> = outcome
        .log
        .iter()
        .filter(|line| line.contains("cleanup"))
        .collect();
    assert_eq!(cleanups.len(), 2, "{outcome:#?}");
    assert!(
        cleanups[1].ends_with(" cleanup Signal(Interrupt)"),
        "{outcome:#?}"
    );
    assert!(
        !cleanups[1].starts_with(&format!("{worker} ")),
        "{outcome:#?}"
    );
}

#[test]
fn a_daemon_runs_its_own_cleanup_once_and_the_leavers_run_none() {
    let mut running = start("daemon", "");
    let daemon = pids_saying(&running, " daemon ready", 1)[0];
    // The original process left at once with `_exit(0)`; the daemon carries on.
    let start = Instant::now();
    while running.child.try_wait().expect("waitpid works").is_none() {
        assert!(start.elapsed() < HANG, "the original process did not leave");
        thread::sleep(Duration::from_millis(1));
    }
    assert!(!gone(daemon));
    send(daemon, libc::SIGTERM);
    assert_gone_soon(&[daemon]);
    let outcome = running.finish();
    outcome.assert_code(0);
    assert_eq!(
        lines_of(&outcome.log, daemon),
        ["daemon ready", "daemon cleanup Signal(Terminate)"],
        "{outcome:#?}"
    );
    assert_cleaned_once_by_one_process(&outcome.log, "daemon cleanup Signal(Terminate)");
}

/// Exactly one line in the whole log, from any process, is a cleanup, and it is `expected`.
fn assert_cleaned_once_by_one_process(log: &[String], expected: &str) {
    let cleanups: Vec<&str> = log
        .iter()
        .filter_map(|line| line.split_once(' ').map(|(_, rest)| rest))
        .filter(|rest| rest.contains("cleanup"))
        .collect();
    assert_eq!(cleanups, [expected], "{log:#?}");
}
