//! `graceful` with `#[on_exit]` written above `#[tokio::main]`: `main` sees the request and
//! ends as `ON_EXIT_THEN` says (`err` returns an `Err`).
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, Failure};

#[on_exit(cleanup, graceful)]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<ExitCode, Failure> {
    tokio::task::yield_now().await;
    body()
}
