//! No attribute: the first `on_exit::register` of the process races `fork`s on other threads.
//! Each forked child registers a cleanup of its own (its first call, which must not wait on
//! anything the parent's threads held at the fork), then leaves with `_exit(0)`; an alarm
//! ends a child that hangs. The parent logs how many children ended otherwise than `_exit(0)`.
#![deny(warnings)]
#![cfg_attr(not(unix), allow(unused_imports, dead_code))]

use std::thread;

use on_exit_scenarios::log;

#[cfg(unix)]
fn forker() -> usize {
    let mut children = Vec::new();
    for _ in 0..40 {
        // SAFETY: the child only calls alarm, on_exit::register and _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: alarm and _exit have no preconditions.
            unsafe { libc::alarm(10) };
            on_exit::register(|| {});
            // SAFETY: as above.
            unsafe { libc::_exit(0) };
        }
        children.push(pid);
    }
    children
        .into_iter()
        .filter(|pid| {
            let mut status = 0;
            // SAFETY: waitpid writes the status into a valid integer.
            unsafe { libc::waitpid(*pid, &raw mut status, 0) };
            status != 0
        })
        .count()
}

#[cfg(unix)]
fn main() {
    let forkers: Vec<_> = (0..3).map(|_| thread::spawn(forker)).collect();
    on_exit::register(|| {});
    let failed: usize = forkers.into_iter().map(|f| f.join().unwrap()).sum();
    log(&format!(
        "children that did not leave with _exit(0): {failed}"
    ));
}

#[cfg(not(unix))]
fn main() {}
