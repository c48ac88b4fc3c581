//! `signals(...)` replacing the default set: SIGQUIT and Ctrl-C only.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, Failure};

#[on_exit(cleanup, signals(quit, interrupt))]
fn main() -> Result<ExitCode, Failure> {
    body()
}
