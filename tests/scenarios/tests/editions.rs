//! `main`'s last expression, in every edition: a temporary of it (a `MutexGuard`) is dropped
//! before the cleanup runs, so a cleanup that takes the same lock does not deadlock on an
//! ordinary return. Up to edition 2021 such a temporary outlived `main`'s locals; 2024 drops
//! it earlier. The programs are in `tests/editions`, one package per edition.
#![cfg(unix)]

mod support;

use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const EDITIONS: [&str; 4] = ["2015", "2018", "2021", "2024"];

#[test]
fn temporaries_of_mains_last_expression_are_dropped_before_the_cleanup() {
    let programs = support::build_separate("editions");
    for edition in EDITIONS {
        for (program, expected) in [("unit", "cleanup saw 1\n"), ("value", "cleanup saw 41\n")] {
            let path = programs.join(format!("{program}-{edition}"));
            let mut child = Command::new(&path)
                .stdout(Stdio::piped())
                .spawn()
                .expect("the program starts");
            let start = Instant::now();
            let status = loop {
                if let Some(status) = child.try_wait().expect("waitpid works") {
                    break status;
                }
                if start.elapsed() > support::HANG {
                    let _ = child.kill();
                    panic!("{program}-{edition} deadlocked: the cleanup waits for main's lock");
                }
                thread::sleep(Duration::from_millis(5));
            };
            let output = child.wait_with_output().expect("the output is read");
            assert!(status.success(), "{program}-{edition}: {status:?}");
            assert_eq!(
                String::from_utf8_lossy(&output.stdout),
                expected,
                "{program}-{edition}"
            );
        }
    }
}

#[test]
fn a_renamed_dependency_works_with_the_crate_option() {
    let program = support::build_separate("editions").join("on-exit-renamed");
    let output = Command::new(program).output().expect("the program runs");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "cleanup Returned\n"
    );
}

#[test]
fn a_temporary_of_the_last_expression_follows_the_crates_edition() {
    // Compiles only if the body keeps edition 2024's rule (its temporaries dropped before
    // its locals); the attribute used to give it the macro crate's 2021 braces.
    let program = support::build_separate("editions").join("local-tail-2024");
    let output = Command::new(program).output().expect("the program runs");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "cleanup saw 1\n");
}

#[test]
fn the_expansions_own_paths_resolve_in_edition_2015_without_extern_crate() {
    let program = support::build_separate("editions").join("macro-paths-2015");
    let output = Command::new(program).output().expect("the program runs");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "cleanup saw 1\n");
}

#[test]
fn a_handler_named_like_the_signals_option_calls_the_crates_own_function() {
    let programs = support::build_separate("editions");
    for edition in ["2015", "2018", "2021", "2024"] {
        let program = programs.join(format!("like-signals-{edition}"));
        let output = Command::new(program).output().expect("the program runs");
        assert!(output.status.success(), "{edition}: {output:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "cleanup saw 1\n",
            "{edition}"
        );
    }
}

#[test]
fn the_macros_errors_in_edition_2015_are_its_own() {
    let manifest =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../editions/errors-2015/Cargo.toml");
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("errors-2015");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--quiet", "--offline", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("error: unknown option `retries`"),
        "{stderr}"
    );
    assert!(!stderr.contains("cannot find"), "{stderr}");
}
