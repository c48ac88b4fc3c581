//! A cleanup that calls `process::exit`: the cleanups still queued run, and the process ends
//! with that code (or by the signal that started the cleanups), even while another thread is
//! inside `exit` already.
#![cfg(unix)]

mod support;

use std::time::Duration;

use support::Scenario;

const EXIT_RACE: &str = env!("CARGO_BIN_EXE_exit_race");

#[test]
fn a_cleanup_that_exits_on_return_lets_the_others_run_then_ends_with_its_code() {
    let outcome = Scenario::new(EXIT_RACE).run();
    assert_eq!(
        outcome.log,
        [
            "ready",
            "registered exits Returned",
            "cleanup Returned",
            "cleanup done"
        ],
        "{outcome:#?}"
    );
    outcome.assert_code(7);
}

#[test]
fn a_cleanup_that_exits_on_a_signal_lets_the_others_run_then_dies_by_it() {
    let running = Scenario::new(EXIT_RACE).env("ON_EXIT_MAIN", "wait").start();
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    assert_eq!(
        outcome.log,
        [
            "ready",
            "registered exits Signal(Terminate)",
            "cleanup Signal(Terminate)",
            "cleanup done"
        ],
        "{outcome:#?}"
    );
    outcome.assert_killed_by(libc::SIGTERM);
}

#[test]
fn a_cleanup_that_exits_while_the_process_exits_does_not_abort() {
    // `main` calls `exit(3)`; the cleanups run because of it, and one calls `exit(7)`. On the
    // exiting thread itself std would abort that re-entrant `exit`.
    let outcome = Scenario::new(EXIT_RACE).env("ON_EXIT_MAIN", "exit:3").run();
    assert_eq!(
        outcome.log,
        [
            "ready",
            "registered exits Exited",
            "cleanup Exited",
            "cleanup done"
        ],
        "{outcome:#?}"
    );
    outcome.assert_code(3);
    assert!(!outcome.stderr.contains("re-entrantly"), "{outcome:#?}");
}

#[test]
fn exit_against_exit_never_hangs_and_runs_every_cleanup_once() {
    // `main` sees the request and calls `exit(3)` while the signal's cleanup calls `exit(7)`:
    // std parks whichever thread comes second. The delay sweeps which one that is.
    for run in 0..40_u64 {
        let running = Scenario::new(EXIT_RACE)
            .env("ON_EXIT_MAIN", "until-requested")
            .env("ON_EXIT_THEN", "exit:3")
            .env("ON_EXIT_DELAY_US", &(run * 250).to_string())
            .start();
        running.signal(libc::SIGTERM);
        let outcome = running.finish();
        assert!(
            outcome.elapsed < Duration::from_secs(10),
            "run {run} took {:?}",
            outcome.elapsed
        );
        // A signal started the cleanups: the process dies by it, whoever exits first.
        outcome.assert_killed_by(libc::SIGTERM);
        let cleanups: Vec<&String> = outcome
            .log
            .iter()
            .filter(|line| line.contains("exits") || line.starts_with("cleanup Signal"))
            .collect();
        assert_eq!(
            cleanups,
            [
                "registered exits Signal(Terminate)",
                "cleanup Signal(Terminate)"
            ],
            "run {run}: {outcome:#?}"
        );
    }
}
