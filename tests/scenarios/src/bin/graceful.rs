//! `graceful`: the first signal asks `main` to finish; the cleanup runs once it has.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, Failure};

#[on_exit(cleanup, graceful)]
fn main() -> Result<ExitCode, Failure> {
    body()
}
