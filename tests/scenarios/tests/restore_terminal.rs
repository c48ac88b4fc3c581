//! `on_exit::restore_terminal` on a real pseudo-terminal: a program records it, enters raw
//! mode, hides the cursor and switches to the alternate screen, then ends each way; the test
//! reads the terminal's mode back (echo, canonical mode and the signal keys on again) and the
//! bytes that reached it (the cleanup's, then the resets).
#![cfg(target_os = "linux")]

mod support;

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::AsRawFd as _;
use std::thread;
use std::time::{Duration, Instant};

use support::{spawn_on_a_terminal, Outcome, Running, Scenario};

const TUI: &str = env!("CARGO_BIN_EXE_tui");
const RESET: &[u8] =
    b"\x1b[?25h\x1b[?1049l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[0m";
const ENTERED: &[u8] = b"\x1b[?25l\x1b[?1049h";

/// What the terminal shows after the program ended.
struct Seen {
    outcome: Outcome,
    lflag: libc::tcflag_t,
    bytes: Vec<u8>,
}

fn lflag(terminal: &File) -> libc::tcflag_t {
    // SAFETY: an all-zero termios is valid for tcgetattr to fill; the master side of a
    // pseudo-terminal reports its terminal's termios.
    let mut termios: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and valid memory.
    let got = unsafe { libc::tcgetattr(terminal.as_raw_fd(), &raw mut termios) };
    assert_eq!(got, 0, "tcgetattr: {}", std::io::Error::last_os_error());
    termios.c_lflag
}

const COOKED: libc::tcflag_t = libc::ECHO | libc::ICANON | libc::ISIG;

fn position(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Runs `tui` in `mode` on a pseudo-terminal, lets `end` end it once it is ready, and waits
/// (for the guardian, after a `kill -9`) until the terminal is cooked again or 10 s passed.
fn run(scenario: Scenario, mode: &str, end: impl FnOnce(&Running, &mut File)) -> Seen {
    let (mut running, mut terminal) = spawn_on_a_terminal(scenario.env("TUI_MODE", mode));
    let mut reader = terminal.try_clone().expect("dup of the master");
    let bytes = thread::spawn(move || {
        let mut bytes = Vec::new();
        // Ends with EIO once no one holds the terminal any more.
        let _ = reader.read_to_end(&mut bytes);
        bytes
    });
    running.wait_for("ready");
    end(&running, &mut terminal);
    let outcome = running.finish();
    let start = Instant::now();
    while lflag(&terminal) & COOKED != COOKED && start.elapsed() < Duration::from_secs(10) {
        thread::sleep(Duration::from_millis(5));
    }
    let lflag = lflag(&terminal);
    let bytes = bytes.join().expect("the reader");
    drop(terminal);
    assert!(
        outcome
            .log
            .contains(&"entered echo=false canonical=false".to_owned()),
        "{mode} mode was on: {outcome:#?}"
    );
    Seen {
        outcome,
        lflag,
        bytes,
    }
}

impl Seen {
    /// Cooked again, and the resets came after the program's escapes (and after the
    /// cleanup's `bye` when `cleaned` says the cleanup ran).
    fn assert_restored(&self, cleaned: bool) {
        let text = String::from_utf8_lossy(&self.bytes);
        assert_eq!(self.lflag & COOKED, COOKED, "{text:?} {:#?}", self.outcome);
        let entered = position(&self.bytes, ENTERED).expect("the program's escapes");
        let reset = position(&self.bytes, RESET).unwrap_or_else(|| panic!("no reset: {text:?}"));
        assert!(entered < reset, "{text:?}");
        let resets = self
            .bytes
            .windows(RESET.len())
            .filter(|w| *w == RESET)
            .count();
        assert_eq!(
            resets, 1,
            "restored once, by the program or its guardian: {text:?}"
        );
        if cleaned {
            let bye = position(&self.bytes, b"bye").expect("the cleanup's bye");
            assert!(bye < reset, "the reset comes after the cleanups: {text:?}");
        }
    }
}

fn ends_itself(main: &str) -> Seen {
    run(
        Scenario::new(TUI).env("ON_EXIT_MAIN", main),
        "raw",
        |_, _| {},
    )
}

#[test]
fn restored_when_main_returns() {
    let seen = ends_itself("return");
    seen.outcome.assert_cleaned_once("Returned");
    seen.outcome.assert_code(0);
    seen.assert_restored(true);
}

#[test]
fn restored_when_main_panics() {
    let seen = ends_itself("panic");
    seen.outcome.assert_cleaned_once("Panicked");
    seen.outcome.assert_code(101);
    seen.assert_restored(true);
}

#[test]
fn restored_on_process_exit_and_on_exit_exit() {
    for main in ["exit:3", "on-exit:3"] {
        let seen = ends_itself(main);
        seen.outcome.assert_cleaned_once("Exited");
        seen.outcome.assert_code(3);
        seen.assert_restored(true);
    }
}

#[test]
fn restored_on_sigterm() {
    let seen = run(Scenario::waiting(TUI, "quick"), "raw", |running, _| {
        running.signal(libc::SIGTERM);
    });
    seen.outcome.assert_cleaned_once("Signal(Terminate)");
    seen.outcome.assert_killed_by(libc::SIGTERM);
    seen.assert_restored(true);
}

#[test]
fn restored_on_ctrl_c_typed_on_the_terminal() {
    // Echo and line editing off, the signal keys still on: Ctrl-C is SIGINT.
    let seen = run(Scenario::waiting(TUI, "quick"), "cbreak", |_, terminal| {
        terminal
            .write_all(b"\x03")
            .expect("typing into the terminal");
    });
    seen.outcome.assert_cleaned_once("Signal(Interrupt)");
    seen.outcome.assert_killed_by(libc::SIGINT);
    seen.assert_restored(true);
}

#[test]
fn restored_by_the_guardian_after_kill_9() {
    let seen = run(Scenario::waiting(TUI, "quick"), "raw", |running, _| {
        running.signal(libc::SIGKILL);
    });
    assert!(seen.outcome.cleanups().is_empty(), "{:#?}", seen.outcome);
    seen.outcome.assert_killed_by(libc::SIGKILL);
    seen.assert_restored(false);
}

#[test]
fn restored_by_the_guardian_after_abort() {
    let seen = ends_itself("abort");
    seen.outcome.assert_killed_by(libc::SIGABRT);
    seen.assert_restored(false);
}

#[test]
fn without_a_terminal_nothing_is_armed() {
    // stdin, stdout and stderr are not terminals, and `setsid` leaves no controlling
    // terminal for /dev/tty: `Ok(())`, and no guardian is started.
    let outcome = Scenario::wrapped(TUI, &["setsid", "-w"])
        .env("TUI_MODE", "none")
        .run();
    outcome.assert_cleaned_once("Returned");
    outcome.assert_code(0);
}

/// Standard input is the terminal opened read-only (`tool < /dev/tty`), the first descriptor
/// the terminal is recorded from: the reset bytes still reach it.
#[test]
fn restored_with_a_read_only_standard_input() {
    use std::os::unix::process::CommandExt as _;

    let mut scenario = Scenario::new(TUI).env("ON_EXIT_MAIN", "return");
    // SAFETY: between fork and exec the closure only makes system calls (open, dup2, close)
    // on a path written before the fork.
    unsafe {
        scenario.command().pre_exec(|| {
            let fd = libc::open(c"/proc/self/fd/0".as_ptr(), libc::O_RDONLY);
            if fd < 0 || libc::dup2(fd, 0) != 0 || libc::close(fd) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let seen = run(scenario, "raw", |_, _| {});
    seen.outcome.assert_cleaned_once("Returned");
    seen.assert_restored(true);
}

/// Under an interactive bash: the program in raw mode is stopped (the shell takes the
/// terminal back), then another job takes the foreground and sets a mode of its own (echo
/// off), then the program is ended by `end`. The restore must leave that job's terminal
/// alone: no mode put back, no reset written. Returns the log and what the terminal showed.
fn ended_while_another_job_holds_the_terminal(end: impl FnOnce(i32)) -> (Vec<String>, String) {
    use support::shell::{wait_until_stopped, Shell};

    let mut shell = Shell::start(&[
        ("TUI_MODE", "raw"),
        ("ON_EXIT_MAIN", "wait"),
        ("ON_EXIT_CLEANUP", "quick"),
    ]);
    shell.type_line(TUI);
    shell.running.wait_for("ready");
    let log = shell.running.log();
    let pid: i32 = log
        .iter()
        .find_map(|line| line.strip_prefix("pid "))
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("the program's pid: {log:?}"));
    let guardian = support::guardian_of(pid).expect("the program's guardian");
    support::send(pid, libc::SIGSTOP);
    wait_until_stopped(pid);
    shell.wait_until_shown("Stopped");
    // One job, one group: the mode set, then the same process waits.
    shell.type_line("sh -c 'stty -echo; exec sleep 60'");
    let start = Instant::now();
    let shell_group = shell.running.pid();
    while shell.lflag() & libc::ECHO != 0 || [shell_group, pid].contains(&shell.foreground()) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the job never held the terminal with echo off: {:?}",
            shell.shown()
        );
        thread::sleep(Duration::from_millis(5));
    }
    let job = shell.foreground();
    let before = shell.shown().len();
    end(pid);
    support::assert_gone_soon(&[pid, guardian]);
    let lflag = shell.lflag();
    let shown = shell.shown()[before..].to_owned();
    // The job ends; the shell reports the program's end at its next prompt.
    support::send(-job, libc::SIGKILL);
    shell.type_line("echo over");
    shell.wait_until_shown("over");
    let log = shell.running.log();
    let shown_all = shell.shown();
    shell.exit().assert_code(0);
    assert_eq!(
        lflag & libc::ECHO,
        0,
        "the job's mode was changed under it: {shown_all:?}"
    );
    assert!(
        !shown.contains(std::str::from_utf8(RESET).expect("ASCII")),
        "the resets were written over the job: {shown:?}"
    );
    (log, shown_all)
}

#[test]
fn the_guardian_leaves_a_terminal_that_another_job_holds_alone() {
    let (log, shown) = ended_while_another_job_holds_the_terminal(|pid| {
        support::send(pid, libc::SIGKILL);
    });
    assert!(
        !log.iter().any(|line| line.starts_with("cleanup ")),
        "{log:?}"
    );
    // What the parent saw: bash reports the job killed.
    assert!(shown.contains("Killed"), "{shown:?}");
}

#[test]
fn the_program_leaves_a_terminal_that_another_job_holds_alone() {
    // `kill %1` as bash does it: SIGTERM, then SIGCONT.
    let (log, shown) = ended_while_another_job_holds_the_terminal(|pid| {
        support::send(pid, libc::SIGTERM);
        support::send(pid, libc::SIGCONT);
    });
    assert_eq!(
        log.iter()
            .filter(|line| line.starts_with("cleanup "))
            .collect::<Vec<_>>(),
        ["cleanup Signal(Terminate)", "cleanup done"],
        "{log:?}"
    );
    assert!(shown.contains("Terminated"), "{shown:?}");
}
