//! `on_exit::Config` without the attribute, run through the scenarios the attribute's programs
//! go through; and `on_exit::exit`.
#![cfg(unix)]

mod support;

use support::Scenario;

const BUILDER: &str = env!("CARGO_BIN_EXE_builder");
const BUILDER_OPTIONS: &str = env!("CARGO_BIN_EXE_builder_options");
const BASIC: &str = env!("CARGO_BIN_EXE_basic");
const TWICE_RENAMED: &str = env!("CARGO_BIN_EXE_twice_renamed");

#[test]
fn every_ending_of_main_runs_the_cleanup_once_with_main_s_status() {
    for (main, reason, code) in [
        ("return", "Returned", 0),
        ("err", "Returned", 1),
        ("code:42", "Returned", 42),
        ("panic", "Panicked", 101),
        ("exit:7", "Exited", 7),
        ("exit-thread:9", "Exited", 9),
    ] {
        let outcome = Scenario::new(BUILDER).env("ON_EXIT_MAIN", main).run();
        outcome.assert_cleaned_once(reason);
        outcome.assert_code(code);
    }
}

#[test]
fn each_default_signal_runs_the_cleanup_then_kills_by_it() {
    for (signal, reason) in [
        (libc::SIGINT, "Signal(Interrupt)"),
        (libc::SIGTERM, "Signal(Terminate)"),
        (libc::SIGHUP, "Signal(Hangup)"),
    ] {
        let running = Scenario::waiting(BUILDER, "quick").start();
        running.signal(signal);
        let outcome = running.finish();
        outcome.assert_cleaned_once(reason);
        outcome.assert_killed_by(signal);
    }
}

#[test]
fn the_options_are_those_of_the_attribute() {
    // graceful: main is asked to finish first.
    let running = Scenario::new(BUILDER_OPTIONS)
        .env("ON_EXIT_MAIN", "until-requested")
        .env("ON_EXIT_THEN", "return")
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

    // signals(interrupt, terminate): SIGHUP keeps its default action.
    let running = Scenario::new(BUILDER_OPTIONS)
        .env("ON_EXIT_MAIN", "wait")
        .start();
    running.signal(libc::SIGHUP);
    let outcome = running.finish();
    assert_eq!(outcome.cleanups(), Vec::<&str>::new(), "{outcome:#?}");
    outcome.assert_killed_by(libc::SIGHUP);
}

#[test]
fn on_exit_exit_runs_the_cleanup_then_exits_with_the_code() {
    for program in [BASIC, BUILDER] {
        let outcome = Scenario::new(program)
            .env("ON_EXIT_MAIN", "on-exit:5")
            .run();
        outcome.assert_cleaned_once("Exited");
        outcome.assert_code(5);
    }
}

#[test]
fn a_second_install_is_refused_with_a_panic_naming_both() {
    let outcome = Scenario::new(TWICE_RENAMED).run();
    // One cleanup, told of the panic; the message names both attributes' lines.
    outcome.assert_cleaned_once("Panicked");
    outcome.assert_code(101);
    assert!(
        outcome
            .stderr
            .contains("on-exit: the runtime is installed twice, at ")
            && outcome.stderr.contains("twice_renamed.rs:13:")
            && outcome.stderr.contains("twice_renamed.rs:14:"),
        "{}",
        outcome.stderr
    );
}
