//! `#[on_exit]` with `#[tokio::main]` written above or below it, with both runtime flavors,
//! on return and on `SIGTERM`; and graceful shutdown driven by `on_exit::signalled()`.
#![cfg(unix)]

mod support;

use support::Scenario;

const PROGRAMS: [&str; 4] = [
    env!("CARGO_BIN_EXE_tokio_above_multi"),
    env!("CARGO_BIN_EXE_tokio_above_current"),
    env!("CARGO_BIN_EXE_tokio_below_multi"),
    env!("CARGO_BIN_EXE_tokio_below_current"),
];

#[test]
fn async_main_returning() {
    for program in PROGRAMS {
        for (main, code) in [("return", 0), ("err", 1), ("code:42", 42)] {
            let outcome = Scenario::new(program).env("ON_EXIT_MAIN", main).run();
            outcome.assert_cleaned_once("Returned");
            outcome.assert_code(code);
        }
    }
}

#[test]
fn the_cleanup_runs_inside_the_runtime_only_when_written_above_it() {
    // Above `#[tokio::main]`, the guard lives in `main`'s future, inside `block_on`; below it,
    // the guard lives in the `fn main` that tokio generates, and the runtime (a temporary of
    // its last expression) is gone before the cleanup runs.
    for (program, inside) in PROGRAMS.into_iter().zip([true, true, false, false]) {
        let outcome = Scenario::new(program).env("ON_EXIT_CLEANUP", "tokio").run();
        outcome.assert_cleaned_once("Returned");
        assert!(
            outcome
                .log
                .contains(&format!("inside a tokio runtime: {inside}")),
            "{program}: {outcome:#?}"
        );
    }
}

#[test]
fn an_err_returned_after_a_graceful_request_is_reported_in_either_order() {
    for program in [
        env!("CARGO_BIN_EXE_tokio_graceful_err_above"),
        env!("CARGO_BIN_EXE_tokio_graceful_err_below"),
    ] {
        let running = Scenario::new(program)
            .env("ON_EXIT_MAIN", "until-requested")
            .env("ON_EXIT_THEN", "err")
            .start();
        running.signal(libc::SIGTERM);
        let outcome = running.finish();
        // tokio's generated `main` returns with `return`: the report still happens.
        assert!(
            outcome.stderr.contains("Error: Failure\n"),
            "{program}: {outcome:#?}"
        );
        outcome.assert_cleaned_once("Signal(Terminate)");
        outcome.assert_killed_by(libc::SIGTERM);
    }
}

#[test]
fn async_main_panicking() {
    for program in PROGRAMS {
        let outcome = Scenario::new(program).env("ON_EXIT_MAIN", "panic").run();
        outcome.assert_cleaned_once("Panicked");
        outcome.assert_code(101);
    }
}

#[test]
fn async_main_on_sigterm() {
    for program in PROGRAMS {
        let running = Scenario::waiting(program, "quick").start();
        running.signal(libc::SIGTERM);
        let outcome = running.finish();
        outcome.assert_cleaned_once("Signal(Terminate)");
        outcome.assert_killed_by(libc::SIGTERM);
    }
}

#[test]
fn async_graceful_shutdown_with_signalled() {
    for (signal, name) in [(libc::SIGTERM, "Terminate"), (libc::SIGINT, "Interrupt")] {
        let running = Scenario::new(env!("CARGO_BIN_EXE_tokio_graceful")).start();
        running.signal(signal);
        let outcome = running.finish();
        assert_eq!(
            outcome.log,
            [
                "ready".to_owned(),
                format!("main asked to stop by {name}"),
                "main drained".to_owned(),
                format!("cleanup Signal({name})"),
                "cleanup done".to_owned(),
            ],
            "{outcome:#?}"
        );
        outcome.assert_killed_by(signal);
    }
}
