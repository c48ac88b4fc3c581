//! The shared half of the scenario programs in `src/bin`. Each program is one attribute
//! configuration; how its `main` and its cleanup behave comes from the environment, so that
//! one program serves many scenarios:
//!
//! - `ON_EXIT_LOG`: the file that `main` and the cleanup append their lines to.
//! - `ON_EXIT_MAIN`: how `main` ends: `return` (the default), `err`, `code:N`, `panic`,
//!   `exit:N`, `on-exit:N` (`on_exit::exit`), `abort`, `exit-thread:N` (another thread calls
//!   `exit`),
//!   `exit-threads:N` (four threads call it at once), `sleep:MS` (then return), `wait` (until
//!   the cleanup starts, or 60 s), or `until-requested` (until `on_exit::requested()`, or
//!   60 s).
//! - `ON_EXIT_THEN`: with `wait` or `until-requested`, what `main` does next: the same words,
//!   or `ignore` (keep running for 60 s).
//! - `ON_EXIT_CONSOLE` (Windows): after `ready`, another thread raises a console event:
//!   `generate:N` through `GenerateConsoleCtrlEvent`, `generate-twice:N` (again once the
//!   cleanup has started), or `handler:N`, calling the installed handler routine the way
//!   Windows does for the events that wine does not deliver.
//! - `ON_EXIT_STDOUT`: what `main` does with stdout before `ready`: `partial` (`print!`s
//!   `partial`, without a newline, so it stays in std's buffer), or `stuck` (another thread
//!   takes stdout's lock and writes to it for ever: blocked once the pipe is full).
//! - `ON_EXIT_CLEANUP`: how the cleanup behaves: `quick` (the default), `slow:MS`, `panic`,
//!   `exit:N`, `tokio` (logs whether it runs inside a tokio runtime).
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
        _ if setting == "tokio" => log(&format!(
            "inside a tokio runtime: {}",
            tokio::runtime::Handle::try_current().is_ok()
        )),
        _ => {}
    }
    log("cleanup done");
}

/// Whether [`cleanup`] has started.
pub fn cleanup_started() -> bool {
    CLEANUP_STARTED.load(Ordering::SeqCst)
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
    use_stdout(&setting("ON_EXIT_STDOUT"));
    log("ready");
    #[cfg(windows)]
    console::raise_from_another_thread(&setting("ON_EXIT_CONSOLE"), || {
        CLEANUP_STARTED.load(Ordering::SeqCst)
    });
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

fn use_stdout(how: &str) {
    match how {
        "" => {}
        "partial" => print!("partial"),
        "stuck" => {
            thread::spawn(|| {
                let mut stdout = std::io::stdout().lock();
                let block = [b'x'; 4096];
                while stdout.write_all(&block).is_ok() {}
            });
            // Long enough to fill any pipe: the writer is then blocked, holding the lock.
            thread::sleep(Duration::from_millis(300));
        }
        other => panic!("unknown ON_EXIT_STDOUT {other}"),
    }
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
        Some(("on-exit", code)) => on_exit::exit(number(code)),
        Some(("sleep", ms)) => {
            thread::sleep(Duration::from_millis(number(ms).unsigned_abs().into()));
            Ok(ExitCode::SUCCESS)
        }
        Some(("exit-thread", code)) => {
            let code = number(code);
            thread::spawn(move || std::process::exit(code));
            thread::sleep(Duration::from_mins(1));
            unreachable!("the other thread ended the process")
        }
        Some(("exit-threads", code)) => {
            // Several threads call `exit` at the same moment.
            let code = number(code);
            let start = std::sync::Arc::new(std::sync::Barrier::new(4));
            for _ in 0..4 {
                let start = std::sync::Arc::clone(&start);
                thread::spawn(move || {
                    start.wait();
                    std::process::exit(code)
                });
            }
            thread::sleep(Duration::from_mins(1));
            unreachable!("the other threads ended the process")
        }
        _ if how == "err" => Err(Failure),
        _ if how == "abort" => std::process::abort(),
        _ if how == "panic" => panic!("main panics on purpose"),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Makes this process ignore Ctrl-C and Ctrl-Break (Windows; nothing elsewhere).
pub fn ignore_console_events() {
    #[cfg(windows)]
    console::ignore();
}

#[cfg(windows)]
mod console {
    use std::thread;
    use std::time::Duration;

    use windows_sys::core::BOOL;
    use windows_sys::Win32::System::Console::{GenerateConsoleCtrlEvent, SetConsoleCtrlHandler};

    /// A handler that answers "handled" to Ctrl-C and Ctrl-Break; it is not inherited.
    pub(crate) fn ignore() {
        unsafe extern "system" fn handled(event: u32) -> BOOL {
            BOOL::from(event <= 1)
        }
        // SAFETY: `handled` has the signature Windows expects and lives for the program.
        unsafe { SetConsoleCtrlHandler(Some(handled), 1) };
    }

    /// Raises the console event that `how` names, from another thread, as Windows would.
    pub(crate) fn raise_from_another_thread(how: &str, cleanup_started: fn() -> bool) {
        let Some((what, event)) = how.split_once(':') else {
            return;
        };
        let event: u32 = event.parse().expect("a console event number");
        let what = what.to_owned();
        thread::spawn(move || match what.as_str() {
            "generate" => generate(event),
            "generate-twice" => {
                generate(event);
                while !cleanup_started() {
                    thread::sleep(Duration::from_millis(1));
                }
                thread::sleep(Duration::from_millis(250));
                super::log("second event");
                generate(event);
            }
            "handler" => {
                let handled = on_exit::__private::run_console_handler(event);
                // For CLOSE, LOGOFF and SHUTDOWN the process must end before this returns.
                super::log(&format!("handler returned {handled:?}"));
            }
            other => panic!("unknown ON_EXIT_CONSOLE {other}"),
        });
    }

    fn generate(event: u32) {
        // Ctrl-C goes to group 0 (every process on the console); wine delivers Ctrl-Break
        // only to a named group, and this process leads its own.
        let group = if event == 0 { 0 } else { std::process::id() };
        // SAFETY: GenerateConsoleCtrlEvent takes plain integers.
        let sent = unsafe { GenerateConsoleCtrlEvent(event, group) };
        super::log(&format!("generated {event}: {}", sent != 0));
    }
}
