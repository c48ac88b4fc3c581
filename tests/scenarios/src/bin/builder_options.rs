//! No attribute: `on_exit::Config` with every option, as the `graceful` scenario's attribute
//! has them: `graceful`, a timeout, and the signals replaced.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;
use std::time::Duration;

use on_exit::Signal;
use on_exit_scenarios::{body, cleanup, Failure};

fn main() -> Result<ExitCode, Failure> {
    let _guard = on_exit::Config::new(cleanup)
        .signals(&[Signal::Interrupt, Signal::Terminate])
        .timeout(Duration::from_secs(10))
        .graceful()
        .install();
    body()
}
