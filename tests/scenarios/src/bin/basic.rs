//! The default attribute: a path handler taking the reason, the default signals.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, Failure};

#[on_exit(cleanup)]
fn main() -> Result<ExitCode, Failure> {
    body()
}
