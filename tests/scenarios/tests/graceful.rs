//! The `graceful` option: the first signal asks `main` to finish, `main` notices it with
//! `on_exit::requested()`, and the cleanup runs once `main` has returned.
#![cfg(unix)]

mod support;

use std::thread;
use std::time::Duration;

use support::Scenario;

const GRACEFUL: &str = env!("CARGO_BIN_EXE_graceful");

fn asked_to_stop(then: &str) -> Scenario {
    Scenario::new(GRACEFUL)
        .env("ON_EXIT_MAIN", "until-requested")
        .env("ON_EXIT_THEN", then)
}

#[test]
fn main_finishes_first_then_the_cleanup_runs_and_the_process_dies_by_the_signal() {
    for (signal, reason) in [
        (libc::SIGTERM, "Signal(Terminate)"),
        (libc::SIGINT, "Signal(Interrupt)"),
        (libc::SIGHUP, "Signal(Hangup)"),
    ] {
        for then in ["return", "err", "code:42"] {
            let running = asked_to_stop(then).start();
            running.signal(signal);
            let outcome = running.finish();
            assert_eq!(
                outcome.log,
                [
                    "ready",
                    "main asked to stop",
                    &format!("cleanup {reason}"),
                    "cleanup done"
                ],
                "{outcome:#?}"
            );
            outcome.assert_killed_by(signal);
        }
    }
}

#[test]
fn an_err_returned_after_the_signal_is_reported_before_dying_by_it() {
    let running = asked_to_stop("err").start();
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    // What std prints for an `Err` from `main`, then the honest ending.
    assert!(outcome.stderr.contains("Error: Failure\n"), "{outcome:#?}");
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
}

#[test]
fn a_ctrl_c_then_a_forwarded_sigterm_is_one_request() {
    // A terminal's Ctrl-C, then a process manager forwarding SIGTERM a moment later: one
    // request, so `main` still finishes on its own and the cleanup runs in full.
    let outcome = support::one_burst(
        || {
            asked_to_stop("return")
                .env("ON_EXIT_CLEANUP", "slow:200")
                .start()
        },
        &[libc::SIGINT, libc::SIGTERM],
        Duration::from_millis(2),
    );
    assert!(
        outcome.log.contains(&"main asked to stop".to_owned()),
        "{outcome:#?}"
    );
    outcome.assert_cleaned_once("Signal(Interrupt)");
    outcome.assert_killed_by(libc::SIGINT);
}

#[test]
fn a_burst_is_still_one_request_and_main_finishes_on_its_own() {
    let outcome = support::one_burst(
        || {
            asked_to_stop("return")
                .env("ON_EXIT_CLEANUP", "slow:100")
                .start()
        },
        &[libc::SIGTERM; 300],
        Duration::ZERO,
    );
    assert!(
        outcome.log.contains(&"main asked to stop".to_owned()),
        "{outcome:#?}"
    );
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
}

#[test]
fn a_second_request_stops_waiting_for_main_and_a_third_forces() {
    let mut running = asked_to_stop("ignore")
        .env("ON_EXIT_CLEANUP", "slow:30000")
        .start();
    running.signal(libc::SIGTERM);
    running.wait_for("main asked to stop");
    thread::sleep(Duration::from_millis(250));
    assert!(
        running.child.try_wait().unwrap().is_none(),
        "the first request ended it"
    );
    assert!(!running.log().iter().any(|l| l.starts_with("cleanup")));

    // Second request: main is ignoring the first, so the cleanup starts without it.
    running.signal(libc::SIGINT);
    running.wait_for("cleanup Signal(Terminate)");
    thread::sleep(Duration::from_millis(250));
    // Third request, during the slow cleanup: ends the process at once, by that signal.
    running.signal(libc::SIGINT);
    let outcome = running.finish();
    assert_eq!(
        outcome.cleanups(),
        ["cleanup Signal(Terminate)"],
        "{outcome:#?}"
    );
    assert!(!outcome.finished_cleanup(), "{outcome:#?}");
    outcome.assert_killed_by(libc::SIGINT);
}

#[test]
fn the_second_request_runs_the_cleanup_to_its_end() {
    let mut running = asked_to_stop("ignore")
        .env("ON_EXIT_CLEANUP", "slow:100")
        .start();
    running.signal(libc::SIGTERM);
    running.wait_for("main asked to stop");
    thread::sleep(Duration::from_millis(250));
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
}

#[test]
fn with_a_timeout_a_main_that_does_not_finish_is_cut_off() {
    let running = Scenario::new(env!("CARGO_BIN_EXE_graceful_timeout"))
        .env("ON_EXIT_MAIN", "until-requested")
        .env("ON_EXIT_THEN", "ignore")
        .start();
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    assert_eq!(
        outcome.log,
        [
            "ready",
            "main asked to stop",
            "cleanup Signal(Terminate)",
            "cleanup done"
        ],
        "{outcome:#?}"
    );
    outcome.assert_killed_by(libc::SIGTERM);
    assert!(outcome.elapsed < Duration::from_secs(20), "{outcome:#?}");
}

#[test]
fn without_a_signal_graceful_changes_nothing() {
    let outcome = Scenario::new(GRACEFUL).env("ON_EXIT_MAIN", "code:42").run();
    outcome.assert_cleaned_once("Returned");
    outcome.assert_code(42);
}
