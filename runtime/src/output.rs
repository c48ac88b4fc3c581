//! The program's last output: std's stdout buffer is flushed before the process dies by a
//! signal and in `on_exit::exit` (a `print!` without its newline stays in that buffer, and a
//! death by signal would lose it: rust-lang/rust#10279), without ever hanging the ending on a
//! thread that holds stdout's lock.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::driver;
use crate::sys;

/// The longest the ending waits for the flush. A thread may hold stdout's lock for ever
/// (blocked writing to a full pipe nobody reads, or stopped inside `println!` by the signal),
/// and std has no public `try_lock`: the flush runs on a thread of its own, and the ending
/// goes on without it after this long.
pub(crate) const FLUSH_LIMIT: Duration = Duration::from_millis(200);

/// Flushes std's stdout, waiting at most [`FLUSH_LIMIT`]. After that (or if no thread can be
/// started) the flush is skipped: the process is ending anyway.
pub(crate) fn flush_stdout() {
    let flushed = Arc::new(AtomicBool::new(false));
    let waiting = thread::current();
    let done = Arc::clone(&flushed);
    let flush = move || {
        let _ = std::io::stdout().flush();
        done.store(true, Ordering::Release);
        waiting.unpark();
    };
    if driver::spawn("on-exit-flush", Box::new(flush)).is_err() {
        return;
    }
    // In the platform's monotonic nanoseconds: `Instant` would bring std's clock code.
    let limit = u64::try_from(FLUSH_LIMIT.as_nanos()).unwrap_or(u64::MAX);
    let deadline = sys::now_ns().saturating_add(limit);
    while !flushed.load(Ordering::Acquire) {
        match deadline.checked_sub(sys::now_ns()) {
            Some(left) if left > 0 => thread::park_timeout(Duration::from_nanos(left)),
            _ => return,
        }
    }
}
