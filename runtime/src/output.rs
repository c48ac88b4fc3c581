//! The program's last output: std's stdout buffer is flushed before the process dies by a
//! signal and in `on_exit::exit` (a `print!` without its newline stays in that buffer, and a
//! death by signal would lose it: rust-lang/rust#10279), without ever hanging the ending on a
//! thread that holds stdout's lock.

use std::io::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::Duration;

use crate::driver;

/// The longest the ending waits for the flush. A thread may hold stdout's lock for ever
/// (blocked writing to a full pipe nobody reads, or stopped inside `println!` by the signal),
/// and std has no public `try_lock`: the flush runs on a thread of its own, and the ending
/// goes on without it after this long.
pub(crate) const FLUSH_LIMIT: Duration = Duration::from_millis(200);

/// How many flushes have finished: the ending waits for the count to move.
static FLUSHED: AtomicU32 = AtomicU32::new(0);

/// Flushes std's stdout, waiting at most [`FLUSH_LIMIT`]. After that (or if no thread can be
/// started) the flush is skipped: the process is ending anyway.
pub(crate) fn flush_stdout() {
    let before = FLUSHED.load(Ordering::Acquire);
    let flush = || {
        crate::sys::quiet_thread();
        let _ = std::io::stdout().flush();
        FLUSHED.fetch_add(1, Ordering::AcqRel);
    };
    if driver::spawn(c"on-exit-flush", Box::new(flush)).is_err() {
        return;
    }
    // Looks every millisecond: a flush is quick, and a sleep costs the binary less than a
    // wake-up (this is in every program).
    let step = Duration::from_millis(1);
    let mut waited = Duration::ZERO;
    while FLUSHED.load(Ordering::Acquire) == before && waited < FLUSH_LIMIT {
        thread::sleep(step);
        waited += step;
    }
}
