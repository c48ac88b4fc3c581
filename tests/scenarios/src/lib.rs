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
//! - `ON_EXIT_THEN`: with `wait` or `until-requested`, what `main` does next: the same
//!   endings, or `ignore` (keep running for 60 s).
//! - `ON_EXIT_CONSOLE` (Windows): after `ready`, another thread raises a console event:
//!   `generate:N` through `GenerateConsoleCtrlEvent`, `generate-twice:N` (again once the
//!   cleanup has started), or `handler:N`, calling the installed handler routine the way
//!   Windows does for the events that wine does not deliver.
//! - `ON_EXIT_STDOUT`: what `main` does with stdout before `ready`: `partial` (`print!`s
//!   `partial`, without a newline, so it stays in std's buffer), or `stuck` (another thread
//!   takes stdout's lock and writes to it for ever: blocked once the pipe is full).
//! - `ON_EXIT_CLEANUP`: how the cleanup behaves: `quick` (the default), `slow:MS`, `panic`,
//!   `exit:N`, `tokio` (logs whether it runs inside a tokio runtime), `deep:KIB` (uses that
//!   many KiB of its thread's stack).
//!
//! The cleanup writes `cleanup <Reason>` when it starts and `cleanup done` when it ends.
//!
//! A word outside these (a typo) panics before `ready`, naming the setting and the words it
//! expected (`words.rs`): a test never runs a scenario it did not ask for.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use on_exit::Reason;

use words::{Cleanup, Console, End, Main, Stdout, Then};

mod words;

static CLEANUP_STARTED: AtomicBool = AtomicBool::new(false);

/// The scenario's settings, read once.
struct Settings {
    main: Main,
    then: Then,
    cleanup: Cleanup,
    stdout: Stdout,
    /// Read on every platform (a typo fails everywhere), acted on only on Windows.
    #[cfg_attr(not(windows), allow(dead_code))]
    console: Console,
}

/// Reads the settings the first time; panics on a word the scenario language does not know.
fn settings() -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| Settings {
        main: words::main(&setting("ON_EXIT_MAIN")),
        then: words::then(&setting("ON_EXIT_THEN")),
        cleanup: words::cleanup(&setting("ON_EXIT_CLEANUP")),
        stdout: words::stdout(&setting("ON_EXIT_STDOUT")),
        console: words::console(&setting("ON_EXIT_CONSOLE")),
    })
}

/// A setting of one program (`ON_EXIT_WORKER`, ...): unset, or one of `words`.
///
/// # Panics
///
/// On a value outside `words`, naming the setting and the words it expected.
#[must_use]
pub fn setting_of(name: &str, words: &[&str]) -> String {
    words::one_of(name, &setting(name), words).to_owned()
}

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

/// The cleanup every scenario program installs.
///
/// # Panics
///
/// With `ON_EXIT_CLEANUP=panic`, on purpose.
pub fn cleanup(reason: Reason) {
    CLEANUP_STARTED.store(true, Ordering::SeqCst);
    log(&format!("cleanup {reason:?}"));
    match settings().cleanup {
        Cleanup::Quick => {}
        Cleanup::Slow(ms) => thread::sleep(Duration::from_millis(ms)),
        Cleanup::Exit(code) => std::process::exit(code),
        Cleanup::Panic => panic!("the cleanup panics on purpose"),
        Cleanup::Tokio => log(&format!(
            "inside a tokio runtime: {}",
            tokio::runtime::Handle::try_current().is_ok()
        )),
        Cleanup::Deep(kib) => {
            use_stack(kib);
        }
    }
    log("cleanup done");
}

/// Recurses `kib` times with a KiB of stack each (the optimizer may not fold it away).
fn use_stack(kib: usize) -> u8 {
    let mut frame = [0_u8; 1024];
    std::hint::black_box(&mut frame);
    if kib <= 1 {
        return frame[0];
    }
    use_stack(kib - 1).wrapping_add(std::hint::black_box(frame[1]))
}

/// Whether [`cleanup`] has started.
#[must_use]
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
    let settings = settings();
    use_stdout(settings.stdout);
    log("ready");
    #[cfg(windows)]
    console::raise_from_another_thread(settings.console, cleanup_started);
    let waited = match settings.main {
        Main::End(end) => return finish(end),
        Main::Wait => wait_until(cleanup_started),
        Main::UntilRequested => {
            wait_until(on_exit::requested);
            log("main asked to stop");
            true
        }
    };
    match settings.then {
        Then::End(end) if waited => finish(end),
        then => {
            // Keep running while the cleanup runs, as a real program's other threads do.
            thread::sleep(Duration::from_mins(1));
            finish(match then {
                Then::End(end) => end,
                Then::Ignore => End::Return,
            })
        }
    }
}

fn use_stdout(stdout: Stdout) {
    match stdout {
        Stdout::Untouched => {}
        Stdout::Partial => print!("partial"),
        Stdout::Stuck => {
            thread::spawn(|| {
                let mut stdout = std::io::stdout().lock();
                let block = [b'x'; 4096];
                while stdout.write_all(&block).is_ok() {}
            });
            // Long enough to fill any pipe: the writer is then blocked, holding the lock.
            thread::sleep(Duration::from_millis(300));
        }
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

fn finish(end: End) -> Result<ExitCode, Failure> {
    match end {
        End::Return => Ok(ExitCode::SUCCESS),
        End::Err => Err(Failure),
        End::Code(code) => Ok(ExitCode::from(code)),
        End::Panic => panic!("main panics on purpose"),
        End::Abort => std::process::abort(),
        End::Exit(code) => std::process::exit(code),
        End::OnExit(code) => on_exit::exit(code),
        End::Sleep(ms) => {
            thread::sleep(Duration::from_millis(ms));
            Ok(ExitCode::SUCCESS)
        }
        End::ExitThread(code) => {
            thread::spawn(move || std::process::exit(code));
            thread::sleep(Duration::from_mins(1));
            unreachable!("the other thread ended the process")
        }
        End::ExitThreads(code) => {
            // Several threads call `exit` at the same moment.
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

    use crate::words::Console;

    /// A handler that answers "handled" to Ctrl-C and Ctrl-Break; it is not inherited.
    pub(crate) fn ignore() {
        unsafe extern "system" fn handled(event: u32) -> BOOL {
            BOOL::from(event <= 1)
        }
        // SAFETY: `handled` has the signature Windows expects and lives for the program.
        unsafe { SetConsoleCtrlHandler(Some(handled), 1) };
    }

    /// Raises the console event that `console` names, from another thread, as Windows would.
    pub(crate) fn raise_from_another_thread(console: Console, cleanup_started: fn() -> bool) {
        if console == Console::Nothing {
            return;
        }
        thread::spawn(move || match console {
            Console::Nothing => {}
            Console::Generate(event) => generate(event),
            Console::GenerateTwice(event) => {
                generate(event);
                while !cleanup_started() {
                    thread::sleep(Duration::from_millis(1));
                }
                thread::sleep(Duration::from_millis(250));
                super::log("second event");
                generate(event);
            }
            Console::Handler(event) => {
                let handled = on_exit::__private::run_console_handler(event);
                // For CLOSE, LOGOFF and SHUTDOWN the process must end before this returns.
                super::log(&format!("handler returned {handled:?}"));
            }
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
