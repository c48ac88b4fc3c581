//! 2,000,000 `scoped` guards, one per request of a server: `overlapping` makes each before
//! dropping the previous one (one or two live at a time), `sequential` drops each before
//! making the next (the baseline). Prints `NANOSECONDS KIB`: the loop's time, and how far the
//! peak resident memory (`VmHWM`) rose above the resident memory before it (`VmRSS`).
use std::time::Instant;

const GUARDS: usize = 2_000_000;

/// A `/proc/self/status` field in KiB, 0 where there is none.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}

fn main() {
    let overlapping = match std::env::args().nth(1).as_deref() {
        Some("overlapping") => true,
        Some("sequential") => false,
        other => panic!("expected `overlapping` or `sequential`, not {other:?}"),
    };
    // Installs the runtime, so that the loop measures the guards alone.
    drop(on_exit::scoped(|| {}));
    let before = status_kib("VmRSS");
    let start = Instant::now();
    if overlapping {
        let mut previous = on_exit::scoped(|| {});
        for _ in 1..GUARDS {
            let next = on_exit::scoped(|| {});
            drop(previous);
            previous = next;
        }
        drop(previous);
    } else {
        for _ in 0..GUARDS {
            drop(on_exit::scoped(|| {}));
        }
    }
    let elapsed = start.elapsed().as_nanos();
    println!("{elapsed} {}", status_kib("VmHWM").saturating_sub(before));
}
