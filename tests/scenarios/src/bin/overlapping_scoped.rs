//! A server's shape: one `scoped` guard per request, each made before the previous one is
//! dropped, 2,000,000 times, with one or two guards live at a time. Logs `rss-before KIB` and
//! `rss-peak KIB` (Linux's `VmRSS` before, `VmHWM` after; 0 where there is no `/proc`), then
//! returns and the attribute's cleanup runs.
#![forbid(unsafe_code)]
#![deny(warnings)]

use on_exit::on_exit;
use on_exit_scenarios::{cleanup, log};

/// A `/proc/self/status` field in KiB, 0 where there is none.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}

#[on_exit(cleanup)]
fn main() {
    log(&format!("rss-before {}", status_kib("VmRSS")));
    let mut previous = on_exit::scoped(|| {});
    for _ in 0..2_000_000 {
        let next = on_exit::scoped(|| {});
        drop(previous);
        previous = next;
    }
    drop(previous);
    log(&format!("rss-peak {}", status_kib("VmHWM")));
}
