//! `signals(logoff, ...)`: Windows' logoff event, which is not caught by default, opted in.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, Failure};

#[on_exit(cleanup, signals(interrupt, close, logoff))]
fn main() -> Result<ExitCode, Failure> {
    body()
}
