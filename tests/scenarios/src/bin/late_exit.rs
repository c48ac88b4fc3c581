//! A cleanup registered while the cleanups run (so it runs at once, on the registering
//! thread) calls `process::exit(9)` while the attribute's cleanup still runs on `main`'s
//! thread (`ON_EXIT_CLEANUP=slow:MS`).
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, cleanup_started, log, Failure};

#[on_exit(cleanup)]
fn main() -> Result<ExitCode, Failure> {
    thread::spawn(|| {
        while !cleanup_started() {
            thread::sleep(Duration::from_millis(1));
        }
        on_exit::register(|| {
            log("late exits");
            std::process::exit(9);
        });
    });
    body()
}
