//! Children made without `fork`, found by an outside tester: children that share their
//! parent's memory (`CLONE_VM`, as vfork does), children that have their parent's process id
//! (a new PID namespace under a PID-1 parent), and a raw `clone` child whose first use of
//! on-exit is eight threads at once. Each runs `src/bin/clone_children.rs` for real and reads
//! its stderr; a run that hangs is killed (`support::HANG`).
#![cfg(target_os = "linux")]

mod support;

use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;

use support::Scenario;

const PROGRAM: &str = env!("CARGO_BIN_EXE_clone_children");

/// Runs `program args` to its end (killed if it hangs); its exit status and stderr.
fn run(program: &str, args: &[&str]) -> (ExitStatus, String) {
    let mut scenario = Scenario::new(program);
    scenario.command().args(args);
    let outcome = scenario.run();
    (outcome.status, outcome.stderr)
}

/// A `CLONE_VM | CLONE_VFORK` child (vfork, before its `exec`) that gets `SIGTERM`: as if
/// on-exit were not there, it dies by it; the parent, which nobody signalled, runs its cleanup
/// once for its own return and exits 0.
#[test]
fn a_vfork_child_signalled_before_exec_dies_and_its_parent_lives() {
    let (status, log) = run(PROGRAM, &["vm-signal", "vfork"]);
    assert!(
        log.contains("killed by signal 15"),
        "the vfork child's SIGTERM was swallowed: {log}"
    );
    assert!(
        !log.contains("Signal(Terminate)"),
        "the parent ran its cleanup for its child's SIGTERM: {log}"
    );
    assert_eq!(status.signal(), None, "{status:?}: {log}");
    assert_eq!(status.code(), Some(0), "{log}");
    assert_eq!(log.matches("parent's cleanup Returned").count(), 1, "{log}");
}

/// The same with a plain `CLONE_VM` child (its own stack, no `CLONE_VFORK`) that the parent
/// sends `SIGTERM`.
#[test]
fn a_clone_vm_child_sent_sigterm_dies_and_its_parent_lives() {
    let (status, log) = run(PROGRAM, &["vm-kill"]);
    assert!(
        log.contains("after SIGTERM: killed by signal 15"),
        "the CLONE_VM child's SIGTERM was swallowed: {log}"
    );
    assert_eq!(status.signal(), None, "{status:?}: {log}");
    assert_eq!(log.matches("parent's cleanup Returned").count(), 1, "{log}");
}

/// `unshare --pid --fork` makes the program PID 1 (root only; skipped otherwise).
fn as_pid_1(scenario: &str) -> Option<(ExitStatus, String)> {
    let (status, log) = run(
        "unshare",
        &["--pid", "--fork", "--kill-child", PROGRAM, scenario],
    );
    if !log.contains("parent starts") {
        eprintln!("skipped: no PID namespace here: {log}");
        return None;
    }
    Some((status, log))
}

/// A child in a new PID namespace (pid 1 there, like its PID-1 parent), made by a raw `clone`
/// (no fork handlers), that calls `process::exit`: it must not run its parent's cleanup.
#[test]
fn a_new_pid_namespace_child_of_pid_1_runs_none_of_its_parents_cleanups() {
    let Some((_, log)) = as_pid_1("newpid-exit") else {
        return;
    };
    assert_eq!(
        log.matches("parent's cleanup").count(),
        1,
        "the child ran its parent's cleanup: {log}"
    );
}

/// The same child sent `SIGTERM` by its parent: it must not be swallowed (the child has no
/// signal thread of its own).
#[test]
fn a_new_pid_namespace_child_of_pid_1_does_not_swallow_sigterm() {
    let Some((_, log)) = as_pid_1("newpid-signal") else {
        return;
    };
    assert!(!log.contains("still alive"), "SIGTERM swallowed: {log}");
}

/// No PID-1 program needed: a child in a new PID namespace (pid 1 there) registers a cleanup
/// of its own, then makes a grandchild in another new PID namespace (pid 1 there too) that
/// calls `process::exit`. The grandchild must not run its parent's cleanup. Root only (skipped
/// when `clone(CLONE_NEWPID)` is refused: the child then never says anything).
#[test]
fn a_new_pid_namespace_grandchild_runs_none_of_its_parents_cleanups() {
    let (_, log) = run(PROGRAM, &["newpid-grandchild"]);
    if !log.contains("grandchild: ready") {
        eprintln!("skipped: no PID namespace here: {log}");
        return;
    }
    assert_eq!(
        log.matches("child's cleanup Exited").count(),
        1,
        "the grandchild ran its parent's cleanup: {log}"
    );
}

/// A raw-clone child whose first use of on-exit is eight threads registering at once gets
/// exactly its eight cleanups, and the parent exactly its own.
#[test]
fn a_clone_child_racing_its_first_registrations_gets_exactly_its_own() {
    for _ in 0..20 {
        let (status, log) = run(PROGRAM, &["clone-register-race"]);
        assert_eq!(log.matches("child's cleanup").count(), 8, "{log}");
        assert_eq!(log.matches("parent's cleanup Returned").count(), 1, "{log}");
        assert!(log.contains(": exited 0"), "{log}");
        assert_eq!(status.code(), Some(0), "{log}");
    }
}
