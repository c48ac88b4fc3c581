//! `timeout`: a cleanup started by a signal gets at most 300 ms.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, Failure};

#[on_exit(cleanup, timeout = "300ms")]
fn main() -> Result<ExitCode, Failure> {
    body()
}
