//! A registered cleanup that calls `process::exit(7)`, next to the attribute's cleanup.
//!
//! `ON_EXIT_DELAY_US`: how long the exiting cleanup waits before its `exit`, so that a test
//! can sweep it across the moment `main` itself calls `exit` (`ON_EXIT_MAIN=until-requested`
//! with `ON_EXIT_THEN=exit:3`).
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;
use std::time::Duration;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, log, Failure};

#[on_exit(cleanup)]
fn main() -> Result<ExitCode, Failure> {
    let delay = std::env::var("ON_EXIT_DELAY_US").map_or(0, |us| {
        us.parse()
            .unwrap_or_else(|_| panic!("ON_EXIT_DELAY_US is microseconds, not {us:?}"))
    });
    on_exit::register(move |reason: on_exit::Reason| {
        log(&format!("registered exits {reason:?}"));
        std::thread::sleep(Duration::from_micros(delay));
        std::process::exit(7);
    });
    body()
}
