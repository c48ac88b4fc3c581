//! `graceful` with a `timeout`: a `main` that does not finish within 300 ms is cut off.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, Failure};

#[on_exit(cleanup, graceful, timeout = "300ms")]
fn main() -> Result<ExitCode, Failure> {
    body()
}
