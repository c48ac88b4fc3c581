//! The shared half of the scenario programs in `src/bin`. Each program is one attribute
//! configuration; how its `main` and its cleanup behave comes from the environment, so that
//! one program serves many scenarios:
//!
//! - `ON_EXIT_LOG`: the file that `main` and the cleanup append their lines to.
//! - `ON_EXIT_MAIN`: how `main` ends: `return` (the default), `err`, `code:N`, `panic`,
//!   `exit:N`, `exit-thread:N` (another thread calls `exit`), `wait` (until the cleanup
//!   starts, or 60 s), or `until-requested` (until `on_exit::requested()`, or 60 s).
//! - `ON_EXIT_THEN`: with `wait` or `until-requested`, what `main` does next: the same words,
//!   or `ignore` (keep running for 60 s).
//! - `ON_EXIT_CLEANUP`: how the cleanup behaves: `quick` (the default), `slow:MS`, `panic`,
//!   `exit:N`.
//!
//! The cleanup writes `cleanup <Reason>` when it starts and `cleanup done` when it ends.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use on_exit::Reason;

static CLEANUP_STARTED: AtomicBool = AtomicBool::new(false);

/// Appends `line` to the log file. Each line is one `write`, so lines never interleave.
///
/// # Panics
///
/// If `ON_EXIT_LOG` is unset or cannot be written: the scenario is broken.
pub fn log(line: &str) {
    let path = std::env::var_os("ON_EXIT_LOG").expect("ON_EXIT_LOG is set");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("the log file opens");
    file.write_all(format!("{line}\n").as_bytes())
        .expect("the log file takes a line");
}

fn setting(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

fn number(word: &str) -> i32 {
    word.parse().expect("a number in the scenario setting")
}

/// The cleanup every scenario program installs.
///
/// # Panics
///
/// With `ON_EXIT_CLEANUP=panic`, on purpose.
pub fn cleanup(reason: Reason) {
    CLEANUP_STARTED.store(true, Ordering::SeqCst);
    log(&format!("cleanup {reason:?}"));
    let setting = setting("ON_EXIT_CLEANUP");
    match setting.split_once(':') {
        Some(("slow", ms)) => {
            thread::sleep(Duration::from_millis(number(ms).unsigned_abs().into()));
        }
        Some(("exit", code)) => std::process::exit(number(code)),
        _ if setting == "panic" => panic!("the cleanup panics on purpose"),
        _ => {}
    }
    log("cleanup done");
}

/// The error `main` returns with `ON_EXIT_MAIN=err`.
#[derive(Debug)]
pub struct Failure;

/// The body of every scenario program's `main`.
///
/// # Errors
///
/// With `ON_EXIT_MAIN=err`, on purpose.
///
/// # Panics
///
/// With `ON_EXIT_MAIN=panic`, on purpose.
pub fn body() -> Result<ExitCode, Failure> {
    log("ready");
    let how = setting("ON_EXIT_MAIN");
    let waited = match how.as_str() {
        "wait" => wait_until(|| CLEANUP_STARTED.load(Ordering::SeqCst)),
        "until-requested" => {
            wait_until(on_exit::requested);
            log("main asked to stop");
            true
        }
        _ => return end(&how),
    };
    let then = setting("ON_EXIT_THEN");
    if !waited || then.is_empty() || then == "ignore" {
        // Keep running while the cleanup runs, as a real program's other threads do.
        thread::sleep(Duration::from_mins(1));
    }
    end(&then)
}

/// Polls `done` every millisecond for up to a minute; whether it became true.
fn wait_until(done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_mins(1);
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
    true
}

/// Logs `line` from a cleanup registered at run time, with the reason it runs for.
pub fn registered(name: &'static str) -> impl FnOnce(Reason) + Send + 'static {
    move |reason| log(&format!("registered {name} {reason:?}"))
}

fn end(how: &str) -> Result<ExitCode, Failure> {
    match how.split_once(':') {
        Some(("code", code)) => Ok(ExitCode::from(u8::try_from(number(code)).unwrap_or(255))),
        Some(("exit", code)) => std::process::exit(number(code)),
        Some(("exit-thread", code)) => {
            let code = number(code);
            thread::spawn(move || std::process::exit(code));
            thread::sleep(Duration::from_mins(1));
            unreachable!("the other thread ended the process")
        }
        _ if how == "err" => Err(Failure),
        _ if how == "panic" => panic!("main panics on purpose"),
        _ => Ok(ExitCode::SUCCESS),
    }
}
