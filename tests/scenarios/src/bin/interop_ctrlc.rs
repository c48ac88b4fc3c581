//! A program that calls `ctrlc::set_handler` after the attribute: ctrlc replaces the `SIGINT`
//! handler with its own (it uses `sigaction` directly), and its handler ends the program.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, log, Failure};

#[on_exit(cleanup)]
fn main() -> Result<ExitCode, Failure> {
    ctrlc::set_handler(|| {
        log("ctrlc handler");
        std::process::exit(2);
    })
    .expect("ctrlc installs its handler");
    body()
}
