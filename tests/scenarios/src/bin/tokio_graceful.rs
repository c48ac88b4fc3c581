//! `graceful` in an async `main`: `signalled()` ends the work loop, then `main` returns.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::time::Duration;

use on_exit::on_exit;
use on_exit_scenarios::{cleanup, log};

#[tokio::main]
#[on_exit(cleanup, graceful)]
async fn main() {
    log("ready");
    let mut ticks = tokio::time::interval(Duration::from_millis(5));
    let stop = on_exit::signalled();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            signal = &mut stop => {
                log(&format!("main asked to stop by {signal:?}"));
                break;
            }
            _ = ticks.tick() => {}
        }
    }
    // Async teardown happens here, before `main` returns and the cleanup runs.
    tokio::time::sleep(Duration::from_millis(20)).await;
    log("main drained");
}
