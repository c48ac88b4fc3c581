//! Waits for SIGINT (ctrlc's signal); the handler's first line prints the time it started.
use std::io::Read as _;

fn main() {
    ctrlc::set_handler(|| {
        on_exit_bench::say(&format!("cleanup {}", on_exit_bench::monotonic_ns()));
        std::process::exit(0);
    })
    .expect("ctrlc installs");
    on_exit_bench::say("ready");
    let _ = std::io::stdin().read(&mut [0]);
}
