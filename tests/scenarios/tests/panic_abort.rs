//! `panic = "abort"` (tests/panic-abort): the panic hook runs the cleanups, on the panicking
//! thread, before the abort; a hook the program sets later keeps them if it chains.
#![cfg(unix)]

mod support;

use std::os::unix::process::ExitStatusExt as _;
use std::process::{Command, Stdio};

#[test]
fn an_aborting_panic_still_runs_every_cleanup_once() {
    let program = support::build_separate("panic-abort").join("on-exit-panic-abort");
    for (how, message) in [
        ("main", "main panics"),
        ("thread", "a thread panics"),
        ("chained", "main panics after its own hook"),
    ] {
        let output = Command::new(&program)
            .env("ON_EXIT_PANIC", how)
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .output()
            .expect("the program runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|line| line.contains("cleanup") || *line == "user hook")
            .collect();
        let mut expected = vec!["registered cleanup", "cleanup Panicked"];
        if how == "chained" {
            expected.insert(0, "user hook");
        }
        assert_eq!(lines, expected, "{how}: {stderr}");
        // The panic's own message still comes first, and the abort still happens.
        let at = stderr
            .find(message)
            .unwrap_or_else(|| panic!("{how}: {stderr}"));
        assert!(
            at < stderr.find("cleanup Panicked").unwrap(),
            "{how}: {stderr}"
        );
        assert_eq!(
            output.status.signal(),
            Some(libc::SIGABRT),
            "{how}: {stderr}"
        );
    }
}

#[test]
fn an_aborting_panic_still_stops_the_armed_child_and_removes_the_armed_path() {
    let program = support::build_separate("panic-abort").join("on-exit-panic-abort");
    let scratch = std::env::temp_dir().join(format!("on-exit-abort-{}", std::process::id()));
    std::fs::create_dir_all(scratch.join("inside")).unwrap();
    let output = Command::new(&program)
        .env("ON_EXIT_PANIC", "armed")
        .env("ON_EXIT_REMOVE", &scratch)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .expect("the program runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.signal(), Some(libc::SIGABRT), "{stderr}");
    let child: i32 = stderr
        .lines()
        .find_map(|line| line.strip_prefix("child "))
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no child in {stderr}"));
    support::assert_gone_within(support::GUARDIAN_DEADLINE, &[child]);
    assert!(!scratch.exists(), "{stderr}");
}
