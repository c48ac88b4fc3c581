//! Two `#[on_exit]` on `main`, the second under another name (which the macro cannot see is
//! itself): the runtime refuses the second install with a panic that names both places,
//! and the first one's cleanup runs once, as for any panic in `main`.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit::on_exit as at_exit;
use on_exit_scenarios::{body, cleanup, Failure};

#[on_exit(cleanup)]
#[at_exit(cleanup)]
fn main() -> Result<ExitCode, Failure> {
    body()
}
