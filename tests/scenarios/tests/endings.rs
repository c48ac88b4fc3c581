//! Guarantee 2, 5 and 6 without signals: every way `main` can end runs the cleanup exactly
//! once, told why, and keeps the exit code the program would have had.
#![cfg(unix)]

mod support;

use support::Scenario;

const BASIC: &str = env!("CARGO_BIN_EXE_basic");

#[test]
fn main_returning_ok_exits_0() {
    let outcome = Scenario::new(BASIC).run();
    outcome.assert_cleaned_once("Returned");
    outcome.assert_code(0);
}

#[test]
fn main_returning_err_exits_1() {
    let outcome = Scenario::new(BASIC).env("ON_EXIT_MAIN", "err").run();
    outcome.assert_cleaned_once("Returned");
    outcome.assert_code(1);
    assert!(outcome.stderr.contains("Error: Failure"), "{outcome:#?}");
}

#[test]
fn main_returning_an_exit_code_keeps_it() {
    let outcome = Scenario::new(BASIC).env("ON_EXIT_MAIN", "code:42").run();
    outcome.assert_cleaned_once("Returned");
    outcome.assert_code(42);
}

#[test]
fn main_returning_unit_from_a_closure_handler() {
    let outcome = Scenario::new(env!("CARGO_BIN_EXE_closure")).run();
    assert_eq!(outcome.log, ["ready", "cleanup closure"], "{outcome:#?}");
    outcome.assert_code(0);
}

#[test]
fn panic_in_main_exits_101() {
    let outcome = Scenario::new(BASIC).env("ON_EXIT_MAIN", "panic").run();
    outcome.assert_cleaned_once("Panicked");
    outcome.assert_code(101);
    assert!(
        outcome.stderr.contains("main panics on purpose"),
        "{outcome:#?}"
    );
}

#[test]
fn exit_on_the_main_thread() {
    let outcome = Scenario::new(BASIC).env("ON_EXIT_MAIN", "exit:7").run();
    outcome.assert_cleaned_once("Exited");
    outcome.assert_code(7);
}

#[test]
fn exit_on_another_thread() {
    let outcome = Scenario::new(BASIC)
        .env("ON_EXIT_MAIN", "exit-thread:7")
        .run();
    outcome.assert_cleaned_once("Exited");
    outcome.assert_code(7);
}

#[test]
fn a_cleanup_that_panics_is_reported_and_the_exit_code_kept() {
    for (main, reason, code) in [
        ("return", "Returned", 0),
        ("err", "Returned", 1),
        ("panic", "Panicked", 101),
        ("exit:7", "Exited", 7),
    ] {
        let outcome = Scenario::new(BASIC)
            .env("ON_EXIT_MAIN", main)
            .env("ON_EXIT_CLEANUP", "panic")
            .run();
        assert_eq!(
            outcome.cleanups(),
            [format!("cleanup {reason}")],
            "{outcome:#?}"
        );
        outcome.assert_code(code);
        assert!(
            outcome.stderr.contains("the cleanup panics on purpose"),
            "{outcome:#?}"
        );
        assert!(
            outcome.stderr.contains("on-exit: a cleanup panicked"),
            "{outcome:#?}"
        );
    }
}

#[test]
fn a_cleanup_that_calls_exit_ends_with_its_code() {
    for (main, reason) in [
        ("return", "Returned"),
        ("err", "Returned"),
        ("panic", "Panicked"),
    ] {
        let outcome = Scenario::new(BASIC)
            .env("ON_EXIT_MAIN", main)
            .env("ON_EXIT_CLEANUP", "exit:3")
            .run();
        assert_eq!(
            outcome.cleanups(),
            [format!("cleanup {reason}")],
            "{outcome:#?}"
        );
        assert!(!outcome.finished_cleanup(), "{outcome:#?}");
        outcome.assert_code(3);
    }
}
