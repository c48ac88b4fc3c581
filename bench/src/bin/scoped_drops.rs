//! Registers `N` scoped cleanups and drops their guards, newest first and then oldest first;
//! prints `ORDER N NANOSECONDS` for N = 10,000 and 100,000. Constant-time drops make the
//! second ten times the first; quadratic ones, a hundred times.
use std::time::Instant;

fn drop_guards(count: usize, newest_first: bool) -> u128 {
    let mut guards: Vec<on_exit::Scoped> = (0..count).map(|_| on_exit::scoped(|| {})).collect();
    if newest_first {
        guards.reverse();
    }
    let start = Instant::now();
    for guard in guards {
        drop(guard);
    }
    start.elapsed().as_nanos()
}

fn main() {
    for newest_first in [true, false] {
        let order = if newest_first {
            "newest_first"
        } else {
            "oldest_first"
        };
        for count in [10_000, 100_000] {
            println!("{order} {count} {}", drop_guards(count, newest_first));
        }
    }
}
