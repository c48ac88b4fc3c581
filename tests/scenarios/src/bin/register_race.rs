//! No attribute: eight threads make the first `register` call at the same moment, as
//! libraries initialised in parallel may. One runtime must take all eight.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::sync::{Arc, Barrier};
use std::thread;

use on_exit_scenarios::log;

fn main() {
    let start = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|n| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                on_exit::register(move || log(&format!("registered {n}")));
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a registering thread");
    }
    log("ready");
}
