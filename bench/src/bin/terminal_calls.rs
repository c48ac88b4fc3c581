//! What `on_exit::restore_terminal` costs, run with stdin on a pseudo-terminal. Prints, in
//! nanoseconds: spawning and reaping `true` (context: the first call starts the guardian,
//! one spawn of this program), and the first `restore_terminal` call (it records the termios
//! and starts the guardian). The restore itself runs at the end, after the cleanups.
use std::process::Command;
use std::time::Instant;

fn elapsed_ns(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn main() {
    let start = Instant::now();
    Command::new("true").status().expect("true runs");
    let spawn = elapsed_ns(start);

    let start = Instant::now();
    on_exit::restore_terminal().expect("the terminal is recorded");
    let first = elapsed_ns(start);

    println!("{spawn} {first}");
}
