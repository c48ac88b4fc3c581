//! Shared by the compared programs: a clock that means the same in two processes.

/// `CLOCK_MONOTONIC` in nanoseconds: the same clock in every process of the machine, so a
/// time taken in the harness and one taken in a program can be subtracted.
#[must_use]
pub fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write to; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut now) };
    u64::try_from(now.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(now.tv_nsec).unwrap_or(0)
}

/// Writes one line to stdout with a single `write`, ignoring errors: usable in a cleanup.
pub fn say(line: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout()
        .lock()
        .write_all(format!("{line}\n").as_bytes());
}
