//! What `kill_on_exit` and `remove_on_exit` cost. Prints, in nanoseconds: spawning and
//! reaping `true` (context: starting the guardian is one spawn of this program), the first
//! `remove_on_exit` call (which starts the guardian), the median of 100 further
//! `remove_on_exit` calls, and the median of `kill_on_exit` on 20 children.
use std::process::{Command, Stdio};
use std::time::Instant;

fn elapsed_ns(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

fn median(mut samples: Vec<u64>) -> u64 {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn main() {
    let dir = std::env::temp_dir().join(format!("on-exit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");

    let start = Instant::now();
    Command::new("true").status().expect("true runs");
    let spawn = elapsed_ns(start);

    let start = Instant::now();
    on_exit::remove_on_exit(&dir).expect("the guardian starts");
    let first = elapsed_ns(start);

    let further = (0..100)
        .map(|index| {
            let start = Instant::now();
            on_exit::remove_on_exit(dir.join(index.to_string())).expect("armed");
            elapsed_ns(start)
        })
        .collect();

    let mut children: Vec<_> = (0..20)
        .map(|_| {
            Command::new("sleep")
                .arg("30")
                .stdin(Stdio::null())
                .spawn()
                .expect("sleep starts")
        })
        .collect();
    let kills = children
        .iter_mut()
        .map(|child| {
            let start = Instant::now();
            on_exit::kill_on_exit(child).expect("armed");
            elapsed_ns(start)
        })
        .collect();

    println!("{spawn} {first} {} {}", median(further), median(kills));
    // The end: the registered cleanups stop the children and remove the folder.
}
