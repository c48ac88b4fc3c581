//! A program whose async `main` also waits for `tokio::signal::ctrl_c()`.
#![forbid(unsafe_code)]
#![deny(warnings)]

use on_exit::on_exit;
use on_exit_scenarios::{cleanup, log};

#[tokio::main]
#[on_exit(cleanup)]
async fn main() {
    let ctrl_c = tokio::signal::ctrl_c();
    log("ready");
    ctrl_c.await.expect("tokio listens for Ctrl-C");
    log("tokio saw ctrl-c");
}
