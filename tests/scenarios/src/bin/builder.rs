//! No attribute: `on_exit::Config` with the defaults, its guard held by `main`.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit_scenarios::{body, cleanup, Failure};

fn main() -> Result<ExitCode, Failure> {
    let _guard = on_exit::Config::new(cleanup).install();
    body()
}
