//! The Windows build under wine: every path of the guarantee that wine can exercise, with the
//! exact exit code Windows reports. Ignored by `cargo test`; `bash .ci/windows` installs what
//! it needs, cross-builds the programs and runs these with `--ignored`.
//!
//! How each console event is produced:
//! - Ctrl-C: typed into a real pseudo-terminal that wine's console reads, and sent with
//!   `GenerateConsoleCtrlEvent`.
//! - Ctrl-Break, `CTRL_CLOSE_EVENT`, `CTRL_LOGOFF_EVENT`, `CTRL_SHUTDOWN_EVENT`: wine 8 does
//!   not deliver them (it rejects Ctrl-Break in `GenerateConsoleCtrlEvent` and never sends
//!   the others), so the program calls its installed handler routine from another thread,
//!   the way Windows does.
#![cfg(target_os = "linux")]

mod support;

use std::io::Write as _;
use std::time::Duration;

use support::{spawn_on_a_terminal, Outcome, Scenario};

/// `STATUS_CONTROL_C_EXIT`: how the default console handler ends a process.
const CONTROL_C_EXIT: u32 = 0xC000_013A;

/// Runs `name` under wine, on a pseudo-terminal (wine's console needs one for Ctrl-C).
fn on_a_console(scenario: Scenario) -> Outcome {
    let (running, terminal) = spawn_on_a_terminal(scenario);
    let outcome = running.finish();
    drop(terminal);
    outcome
}

/// The program's own lines: without `report_exit`'s last line.
fn program_lines(outcome: &Outcome) -> &[String] {
    &outcome.log[..outcome.log.len().saturating_sub(1)]
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn main_returning_panicking_and_err_keep_their_codes() {
    for (main, reason, code) in [
        ("return", "Returned", 0),
        ("err", "Returned", 1),
        ("code:42", "Returned", 42),
        ("panic", "Panicked", 101),
    ] {
        let outcome = Scenario::wine("basic").env("ON_EXIT_MAIN", main).run();
        outcome.assert_cleaned_once(reason);
        outcome.assert_windows_code(code);
    }
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn process_exit_keeps_its_code_but_is_not_seen_on_windows() {
    // std's `process::exit` is `ExitProcess` on Windows, which skips the C runtime's atexit
    // list: the cleanup does not run. The README's table says so; this test keeps it honest.
    for main in ["exit:7", "exit-thread:7"] {
        let outcome = Scenario::wine("basic").env("ON_EXIT_MAIN", main).run();
        assert_eq!(outcome.cleanups(), Vec::<&str>::new(), "{outcome:#?}");
        outcome.assert_windows_code(7);
    }
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn a_cleanup_that_calls_exit_ends_with_its_code() {
    let outcome = Scenario::wine("basic")
        .env("ON_EXIT_CLEANUP", "exit:3")
        .run();
    assert_eq!(outcome.cleanups(), ["cleanup Returned"], "{outcome:#?}");
    outcome.assert_windows_code(3);
}

/// A registered cleanup that calls `std::process::exit(7)` (`exit_race`), before the
/// attribute's: `ExitProcess` ends every other thread at once, yet the attribute's cleanup
/// still runs, then the process ends with 7.
#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn a_cleanup_that_calls_exit_lets_the_others_run_then_ends_with_its_code() {
    let outcome = Scenario::wine("exit_race").run();
    assert_eq!(
        program_lines(&outcome),
        [
            "ready",
            "registered exits Returned",
            "cleanup Returned",
            "cleanup done"
        ],
        "{outcome:#?}"
    );
    outcome.assert_windows_code(7);
}

/// The same after a Ctrl-C: the others run, and the process ends with the console's code,
/// not the cleanup's.
#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn a_cleanup_that_calls_exit_after_ctrl_c_lets_the_others_run_then_ends_by_it() {
    let outcome = on_a_console(
        Scenario::wine("exit_race")
            .env("ON_EXIT_MAIN", "wait")
            .env("ON_EXIT_CONSOLE", "generate:0"),
    );
    let lines: Vec<_> = program_lines(&outcome)
        .iter()
        .filter(|line| !line.starts_with("generated"))
        .collect();
    assert_eq!(
        lines,
        [
            "ready",
            "registered exits Signal(Interrupt)",
            "cleanup Signal(Interrupt)",
            "cleanup done"
        ],
        "{outcome:#?}"
    );
    outcome.assert_windows_code(CONTROL_C_EXIT);
}

/// A cleanup run on another thread (registered late) calls `exit` while `main`'s thread is in
/// the middle of the attribute's cleanup: `ExitProcess` cuts that one off, and the exiting
/// thread must not wait for it for ever.
#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn a_late_cleanup_that_calls_exit_does_not_wait_for_a_cut_off_one() {
    let outcome = Scenario::wine("late_exit")
        .env("ON_EXIT_CLEANUP", "slow:30000")
        .run();
    assert_eq!(
        program_lines(&outcome),
        ["ready", "cleanup Returned", "late exits"],
        "{outcome:#?}"
    );
    outcome.assert_windows_code(9);
    assert!(outcome.elapsed < Duration::from_secs(20), "{outcome:#?}");
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn registered_cleanups_run_newest_first() {
    let outcome = Scenario::wine("registered").run();
    assert_eq!(
        program_lines(&outcome),
        [
            "ready",
            "scoped",
            "registered second Returned",
            "registered late",
            "registered first Returned",
            "cleanup Returned",
            "cleanup done",
        ],
        "{outcome:#?}"
    );
    outcome.assert_windows_code(0);
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn ctrl_c_typed_into_the_console() {
    let (mut running, mut terminal) =
        spawn_on_a_terminal(Scenario::wine("basic").env("ON_EXIT_MAIN", "wait"));
    running.wait_for("ready");
    terminal
        .write_all(b"\x03")
        .expect("typing into the terminal");
    let outcome = running.finish();
    drop(terminal);
    outcome.assert_cleaned_once("Signal(Interrupt)");
    outcome.assert_windows_code(CONTROL_C_EXIT);
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn ctrl_c_from_generate_console_ctrl_event() {
    let outcome = on_a_console(
        Scenario::wine("basic")
            .env("ON_EXIT_MAIN", "wait")
            .env("ON_EXIT_CONSOLE", "generate:0"),
    );
    outcome.assert_cleaned_once("Signal(Interrupt)");
    outcome.assert_windows_code(CONTROL_C_EXIT);
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn a_second_ctrl_c_during_a_slow_cleanup_forces_the_exit() {
    let outcome = on_a_console(
        Scenario::wine("basic")
            .env("ON_EXIT_MAIN", "wait")
            .env("ON_EXIT_CLEANUP", "slow:30000")
            .env("ON_EXIT_CONSOLE", "generate-twice:0"),
    );
    assert_eq!(
        outcome.cleanups(),
        ["cleanup Signal(Interrupt)"],
        "{outcome:#?}"
    );
    assert!(
        outcome.log.contains(&"second event".to_owned()),
        "{outcome:#?}"
    );
    assert!(!outcome.finished_cleanup(), "{outcome:#?}");
    outcome.assert_windows_code(CONTROL_C_EXIT);
    assert!(
        outcome.elapsed < Duration::from_secs(20),
        "not forced: {outcome:#?}"
    );
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn ctrl_break_through_the_handler_routine() {
    let outcome = on_a_console(
        Scenario::wine("basic")
            .env("ON_EXIT_MAIN", "wait")
            .env("ON_EXIT_CONSOLE", "handler:1"),
    );
    outcome.assert_cleaned_once("Signal(CtrlBreak)");
    outcome.assert_windows_code(CONTROL_C_EXIT);
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn close_logoff_and_shutdown_wait_for_the_whole_cleanup() {
    for (program, event, reason) in [
        ("basic", 2, "Signal(Close)"),
        ("logoff", 5, "Signal(Logoff)"),
        ("basic", 6, "Signal(Shutdown)"),
    ] {
        let outcome = on_a_console(
            Scenario::wine(program)
                .env("ON_EXIT_MAIN", "wait")
                // Returning from the handler would end the process mid-cleanup.
                .env("ON_EXIT_CLEANUP", "slow:1500")
                .env("ON_EXIT_CONSOLE", &format!("handler:{event}")),
        );
        outcome.assert_cleaned_once(reason);
        assert!(
            !outcome
                .log
                .iter()
                .any(|line| line.starts_with("handler returned")),
            "the handler returned before the process ended: {outcome:#?}"
        );
        outcome.assert_windows_code(CONTROL_C_EXIT);
    }
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn on_exit_exit_runs_the_cleanup_where_process_exit_cannot() {
    for program in ["basic", "builder"] {
        let outcome = Scenario::wine(program)
            .env("ON_EXIT_MAIN", "on-exit:5")
            .run();
        outcome.assert_cleaned_once("Exited");
        outcome.assert_windows_code(5);
    }
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn logoff_is_not_caught_by_default() {
    // Any user's logoff reaches services too: by default it is left to the next handler.
    let outcome = on_a_console(
        Scenario::wine("basic")
            .env("ON_EXIT_MAIN", "sleep:3000")
            .env("ON_EXIT_CONSOLE", "handler:5"),
    );
    assert!(
        outcome
            .log
            .iter()
            .any(|line| line == "handler returned Some(false)"),
        "{outcome:#?}"
    );
    outcome.assert_cleaned_once("Returned");
    outcome.assert_windows_code(0);
}

/// `CTRL_CLOSE_EVENT` to `program` whose cleanup would take 30 s: the process must end,
/// mid-cleanup, with the console's exit code.
fn close_with_an_endless_cleanup(program: &str) -> Outcome {
    let outcome = on_a_console(
        Scenario::wine(program)
            .env("ON_EXIT_MAIN", "wait")
            .env("ON_EXIT_CLEANUP", "slow:30000")
            .env("ON_EXIT_CONSOLE", "handler:2"),
    );
    assert_eq!(
        outcome.cleanups(),
        ["cleanup Signal(Close)"],
        "{outcome:#?}"
    );
    assert!(!outcome.finished_cleanup(), "{outcome:#?}");
    outcome.assert_windows_code(CONTROL_C_EXIT);
    outcome
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn close_ends_the_process_before_the_os_deadline() {
    let outcome = close_with_an_endless_cleanup("basic");
    // 4.5 s of grace, plus wine starting two processes.
    assert!(
        outcome.elapsed > Duration::from_millis(4_400),
        "{outcome:#?}"
    );
    assert!(outcome.elapsed < Duration::from_secs(20), "{outcome:#?}");
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn timeout_shortens_the_close_deadline() {
    let outcome = close_with_an_endless_cleanup("timeout");
    // Cut at 300 ms, well before the 4.5 s of the deadline (wine's start-up included).
    assert!(
        outcome.elapsed < Duration::from_millis(4_400),
        "{outcome:#?}"
    );
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn graceful_does_not_wait_for_main_when_the_console_closes() {
    let outcome = on_a_console(
        Scenario::wine("graceful")
            .env("ON_EXIT_MAIN", "until-requested")
            .env("ON_EXIT_THEN", "ignore")
            .env("ON_EXIT_CONSOLE", "handler:2"),
    );
    outcome.assert_cleaned_once("Signal(Close)");
    outcome.assert_windows_code(CONTROL_C_EXIT);
}

/// A Unix path as wine's programs name it (wine maps `/` to drive `Z:`).
fn windows_path(path: &std::path::Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// `kill_on_exit` and `remove_on_exit` on Windows: children (and the grandchildren they start
/// once armed) in job objects, paths through the guardian. `TerminateProcess` on the program
/// and `std::process::exit` (`ExitProcess`) run none of its code, yet soon after (within the
/// guardian's grace period plus a margin of seconds) the children are gone and the paths (a
/// tree with read-only files, and a file) removed; a normal end does the work before the
/// attribute's handler.
///
/// No symbolic link in the tree: wine 8 shows a Unix link as the file or folder it points to,
/// so no Windows program could tell it from one (a removal would delete the target). That
/// links are removed and never followed is proven on Linux (`tests/guardian.rs`), and on
/// Windows rests on std's `remove_dir_all`, which does not follow reparse points.
#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn children_and_paths_go_however_the_windows_program_ends() {
    use std::fs;
    use std::os::unix::fs::PermissionsExt as _;
    use std::time::Instant;

    for (end, code) in [("terminate", 9), ("exit:3", 3), ("return", 0)] {
        let root = std::env::temp_dir().join(format!(
            "on-exit-wine-guardian-{}-{}",
            std::process::id(),
            end.replace(':', "-")
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("alive")).unwrap();
        fs::create_dir_all(root.join("tree/a/b")).unwrap();
        for file in ["tree/a/read-only.txt", "tree/a/b/read-only.txt"] {
            fs::write(root.join(file), "x").unwrap();
            fs::set_permissions(root.join(file), fs::Permissions::from_mode(0o444)).unwrap();
        }
        fs::write(root.join("file.txt"), "x").unwrap();
        fs::write(root.join("kept.txt"), "x").unwrap();
        let remove = format!(
            "{},{}",
            windows_path(&root.join("tree")),
            windows_path(&root.join("file.txt"))
        );
        let outcome = Scenario::wine("guardian_wine")
            .env("ON_EXIT_ALIVE", &windows_path(&root.join("alive")))
            .env("ON_EXIT_CHILDREN", "2")
            .env("ON_EXIT_REMOVE", &remove)
            .env("ON_EXIT_END", end)
            .run();
        let died = Instant::now();
        assert!(
            outcome.log.contains(&"armed".to_owned()),
            "{end}: {outcome:#?}"
        );
        outcome.assert_windows_code(code);
        if end == "return" {
            assert!(
                outcome.log.contains(&"handler: 0 alive".to_owned()),
                "{end}: {outcome:#?}"
            );
        }
        let markers = || -> Vec<String> {
            fs::read_dir(root.join("alive"))
                .unwrap()
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name != "armed")
                .collect()
        };
        loop {
            let left: Vec<_> = ["tree", "file.txt"]
                .into_iter()
                .filter(|path| root.join(path).exists())
                .collect();
            if markers().is_empty() && left.is_empty() {
                break;
            }
            assert!(
                died.elapsed() < support::GUARDIAN_DEADLINE,
                "{end}: still alive {:?}, still there {left:?}",
                markers()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(root.join("kept.txt").exists(), "{end}");
        let _ = fs::remove_dir_all(&root);
    }
}

/// A path frame as the program sends it to its guardian on Windows: length, `P`, id, the
/// rights it claims (no capabilities, no groups), the path's UTF-16 units (see
/// runtime/src/guardian/protocol.rs). A guardian would act on it.
fn path_frame(path: &str) -> Vec<u8> {
    let mut body = vec![b'P'];
    body.extend_from_slice(&7_u64.to_le_bytes());
    body.extend_from_slice(&0_u64.to_le_bytes());
    body.extend_from_slice(&0_u32.to_le_bytes());
    body.extend(path.encode_utf16().flat_map(u16::to_le_bytes));
    let mut frame = u32::try_from(body.len()).unwrap().to_le_bytes().to_vec();
    frame.extend(body);
    frame
}

/// `ON_EXIT_GUARDIAN` alone makes no guardian: a program that uses only the attribute,
/// started with the variable forged (and a path frame on its standard input, a pipe from
/// another process) or leaked (and its standard input at its end), runs `main`, deletes
/// nothing and exits 0. The guardian needs the program's proof: a pipe whose server end is
/// the program's, which runs the same executable. Another executable that names itself and
/// holds the pipe's server end (`forge_guardian`) gets no guardian either: the copy exits
/// quietly (code 1) without `main`, as a copy whose program has gone does, and deletes
/// nothing.
#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn a_forged_or_leaked_guardian_variable_changes_nothing() {
    use std::fs;
    use std::process::Stdio;

    let root = std::env::temp_dir().join(format!("on-exit-wine-forged-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join("keep")).unwrap();
    fs::write(root.join("keep/file.txt"), "x").unwrap();
    let frame = path_frame(&windows_path(&root.join("keep")));
    let forged_by_another_program = || {
        let mut scenario = Scenario::wine("forge_guardian");
        let once = support::wine_programs().join("guardian_once.exe");
        scenario.command().arg(windows_path(&once));
        scenario
    };
    let cases = [
        (
            "v1:1, a pipe from the test",
            Scenario::wine("guardian_once").env("ON_EXIT_GUARDIAN", "v1:1"),
            true,
            0,
        ),
        (
            "v1:1, stdin at its end",
            Scenario::wine("guardian_once").env("ON_EXIT_GUARDIAN", "v1:1"),
            false,
            0,
        ),
        (
            "v1:4, stdin at its end",
            Scenario::wine("guardian_once").env("ON_EXIT_GUARDIAN", "v1:4"),
            false,
            0,
        ),
        (
            "another program's pipe",
            forged_by_another_program(),
            true,
            1,
        ),
    ];
    for (case, mut scenario, with_frame, code) in cases {
        if with_frame {
            scenario.command().stdin(Stdio::piped());
        }
        let mut running = scenario.spawn();
        if let Some(mut stdin) = running.child.stdin.take() {
            let _ = stdin.write_all(&frame);
        }
        let outcome = running.finish();
        // Give a guardian that would remove it its time, then look.
        std::thread::sleep(Duration::from_millis(300));
        assert!(root.join("keep/file.txt").exists(), "{case}: removed");
        let lines = program_lines(&outcome);
        if code == 0 {
            assert!(
                lines.len() == 1 && lines[0].starts_with("main "),
                "{case}: {outcome:#?}"
            );
        } else {
            assert!(lines.is_empty(), "{case}: {outcome:#?}");
        }
        outcome.assert_windows_code(code);
    }
    let _ = fs::remove_dir_all(&root);
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn exec_ends_with_the_command_s_exit_code() {
    // `cmd` takes the code as a signed number: 0xC000013A (what Ctrl-C ends a process with)
    // is -1073741510.
    for (code, typed) in [(0_u32, "0"), (3, "3"), (0xC000_013A, "-1073741510")] {
        let outcome = Scenario::wine("exec")
            .arg("cmd")
            .arg("/c")
            .arg(&format!("exit {typed}"))
            .run();
        outcome.assert_cleaned_once("Exited");
        outcome.assert_windows_code(code);
    }
}

#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn restore_terminal_with_or_without_a_console_keeps_every_ending_as_it_was() {
    // Pipes only: nothing to record, `Ok(())`.
    let outcome = Scenario::wine("tui").env("TUI_MODE", "none").run();
    outcome.assert_cleaned_once("Returned");
    outcome.assert_windows_code(0);
    // Wine's console on a pseudo-terminal: the console modes are recorded and put back (what
    // wine shows: the record and the restore do not disturb the ending).
    let outcome = on_a_console(Scenario::wine("tui").env("TUI_MODE", "none"));
    outcome.assert_cleaned_once("Returned");
    outcome.assert_windows_code(0);
}
