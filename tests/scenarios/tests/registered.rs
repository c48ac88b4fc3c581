//! Cleanups registered at run time: `on_exit::register` and `on_exit::scoped`.
#![cfg(unix)]

mod support;

use support::Scenario;

const REGISTERED: &str = env!("CARGO_BIN_EXE_registered");
const REGISTER_ONLY: &str = env!("CARGO_BIN_EXE_register_only");

/// The log from the first cleanup line on, without `ready`.
fn cleanups_in_order(log: &[String]) -> Vec<&str> {
    log.iter()
        .map(String::as_str)
        .filter(|line| *line != "ready")
        .collect()
}

#[test]
fn registered_cleanups_run_in_reverse_order_then_the_attribute_s() {
    let outcome = Scenario::new(REGISTERED).run();
    outcome.assert_code(0);
    assert_eq!(
        cleanups_in_order(&outcome.log),
        [
            "scoped", // dropped at the end of main, before the guard
            "registered second Returned",
            "registered late", // registered by a running cleanup: ran at once
            "registered first Returned",
            "cleanup Returned",
            "cleanup done",
        ],
        "{outcome:#?}"
    );
}

#[test]
fn on_a_signal_every_registered_cleanup_runs_once_and_a_panic_does_not_stop_the_rest() {
    let running = Scenario::waiting(REGISTERED, "quick")
        .env("ON_EXIT_REGISTERED", "panic")
        .start();
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    outcome.assert_killed_by(libc::SIGTERM);
    assert_eq!(
        cleanups_in_order(&outcome.log),
        [
            "scoped", // still alive when the signal came: run with the others
            "registered second Signal(Terminate)",
            "registered late",
            "registered first Signal(Terminate)",
            "cleanup Signal(Terminate)",
            "cleanup done",
        ],
        "{outcome:#?}"
    );
    assert!(
        outcome
            .stderr
            .contains("a registered cleanup panics on purpose"),
        "{outcome:#?}"
    );
}

#[test]
fn a_dropped_scoped_cleanup_runs_early_and_not_again_and_a_cancelled_one_never() {
    let outcome = Scenario::new(REGISTERED)
        .env("ON_EXIT_SCOPED", "drop")
        .run();
    outcome.assert_code(0);
    assert_eq!(outcome.log[0], "scoped", "{outcome:#?}");
    assert_eq!(
        outcome.log.iter().filter(|l| *l == "scoped").count(),
        1,
        "{outcome:#?}"
    );
    assert!(
        !outcome.log.iter().any(|l| l == "cancelled"),
        "{outcome:#?}"
    );
    outcome.assert_cleaned_once("Returned");
}

#[test]
fn first_registrations_racing_on_eight_threads_install_one_runtime() {
    for run in 0..50 {
        let outcome = Scenario::new(env!("CARGO_BIN_EXE_register_race")).run();
        let mut registered: Vec<&String> = outcome
            .log
            .iter()
            .filter(|line| line.starts_with("registered "))
            .collect();
        registered.sort();
        let expected: Vec<String> = (0..8).map(|n| format!("registered {n}")).collect();
        assert_eq!(
            registered,
            expected.iter().collect::<Vec<_>>(),
            "run {run}: {outcome:#?}"
        );
        outcome.assert_code(0);
        assert!(
            !outcome.stderr.contains("on-exit:"),
            "run {run}: {outcome:#?}"
        );
    }
}

#[test]
fn register_without_the_attribute_sees_the_end_as_exit() {
    let outcome = Scenario::new(REGISTER_ONLY).run();
    outcome.assert_cleaned_once("Exited");
    outcome.assert_code(0);

    let outcome = Scenario::new(REGISTER_ONLY)
        .env("ON_EXIT_MAIN", "err")
        .run();
    outcome.assert_cleaned_once("Exited");
    outcome.assert_code(1);
}

#[test]
fn register_without_the_attribute_catches_the_default_signals() {
    for (signal, reason) in [
        (libc::SIGINT, "Signal(Interrupt)"),
        (libc::SIGTERM, "Signal(Terminate)"),
        (libc::SIGHUP, "Signal(Hangup)"),
    ] {
        let running = Scenario::waiting(REGISTER_ONLY, "quick").start();
        running.signal(signal);
        let outcome = running.finish();
        outcome.assert_cleaned_once(reason);
        outcome.assert_killed_by(signal);
    }
}

#[test]
#[cfg(target_os = "linux")]
fn two_million_overlapping_scoped_guards_keep_the_process_small() {
    // Each guard made before the previous one is dropped: before, every slot stayed and the
    // process grew by about 46 MiB.
    let outcome = Scenario::new(env!("CARGO_BIN_EXE_overlapping_scoped")).run();
    outcome.assert_cleaned_once("Returned");
    outcome.assert_code(0);
    let kib = |word: &str| -> u64 {
        let line = outcome.log.iter().find_map(|line| line.strip_prefix(word));
        line.and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("a `{word}` line: {outcome:#?}"))
    };
    let growth = kib("rss-peak").saturating_sub(kib("rss-before"));
    assert!(growth < 8 * 1024, "grew by {growth} KiB: {outcome:#?}");
}
