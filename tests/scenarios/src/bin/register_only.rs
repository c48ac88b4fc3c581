//! No attribute: a library-style `register` call installs the runtime with the defaults.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit_scenarios::{body, cleanup, Failure};

fn main() -> Result<ExitCode, Failure> {
    on_exit::register(cleanup);
    body()
}
