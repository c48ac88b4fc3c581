//! `on_exit::signalled()` futures that are polled and dropped before any signal (one per
//! connection in a `select!`) leave nothing behind.
#![cfg(target_os = "linux")]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// Resident memory in bytes, from the kernel.
fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm.split(' ').nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn poll_and_drop(count: usize) {
    for _ in 0..count {
        // A waker of its own each time, as a new task per connection has.
        let waker = Waker::from(Arc::new(Noop));
        let mut future = pin!(on_exit::signalled());
        let polled = future.as_mut().poll(&mut Context::from_waker(&waker));
        assert!(matches!(polled, Poll::Pending));
    }
}

#[test]
fn a_million_polled_and_dropped_futures_keep_memory_flat() {
    on_exit::register(|| {});
    poll_and_drop(10_000);
    let before = resident();
    poll_and_drop(1_000_000);
    let grown = resident().saturating_sub(before);
    // Kept wakers would be at least 32 MB (a waker and its task, 1,000,000 times).
    assert!(grown < 4 << 20, "memory grew by {grown} bytes");
}
