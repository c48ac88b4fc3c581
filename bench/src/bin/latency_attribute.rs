//! Waits for SIGTERM; the cleanup's first line prints the monotonic time it started.
use std::io::Read as _;

#[on_exit::on_exit(|| on_exit_bench::say(&format!("cleanup {}", on_exit_bench::monotonic_ns())))]
fn main() {
    on_exit_bench::say("ready");
    // Block until the harness closes stdin (it sends SIGTERM first).
    let _ = std::io::stdin().read(&mut [0]);
}
