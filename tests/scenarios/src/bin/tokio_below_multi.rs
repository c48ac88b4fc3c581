//! `#[on_exit]` written below `#[tokio::main]`, `multi_thread` flavor.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, Failure};

#[tokio::main(flavor = "multi_thread")]
#[on_exit(cleanup)]
async fn main() -> Result<ExitCode, Failure> {
    tokio::task::yield_now().await;
    body()
}
