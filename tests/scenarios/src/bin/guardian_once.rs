//! A program whose `main` leaves a mark, then arms paths with `remove_on_exit` (which starts
//! the guardian, a copy of this program): so a test can count how many processes ran `main`.
//!
//! - `ON_EXIT_REMOVE`: paths, comma-separated.
//! - `ON_EXIT_END`: `sleep:MS` after arming (the test may kill it meanwhile), or return.
//!
//! Logs `main PID` first thing, then `armed` or `error KIND: MESSAGE` for each path.
#![deny(warnings)]

fn handler() {}

#[on_exit::on_exit(handler)]
fn main() {
    use on_exit_scenarios::log;

    log(&format!("main {}", std::process::id()));
    let paths = std::env::var("ON_EXIT_REMOVE").unwrap_or_default();
    for path in paths.split(',').filter(|path| !path.is_empty()) {
        match on_exit::remove_on_exit(path) {
            Ok(()) => log("armed"),
            Err(error) => log(&format!("error {:?}: {error}", error.kind())),
        }
    }
    let end = std::env::var("ON_EXIT_END").unwrap_or_default();
    if let Some(ms) = end.strip_prefix("sleep:") {
        std::thread::sleep(std::time::Duration::from_millis(ms.parse().unwrap()));
    }
}
