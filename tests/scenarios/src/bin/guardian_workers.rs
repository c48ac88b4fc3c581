//! A supervisor that restarts its worker all its life: `ON_EXIT_WORKERS` times it starts a
//! `sleep`, arms it with `kill_on_exit`, stops it and reaps it. Logs `error N: ...` if a call
//! fails (and stops there), then `ready` once done, with one worker still running and armed
//! (`child PID`), and waits to be killed.
#![deny(warnings)]

#[cfg(unix)]
fn main() {
    use std::process::{Command, Stdio};

    use on_exit_scenarios::log;

    let workers: u64 = std::env::var("ON_EXIT_WORKERS")
        .expect("ON_EXIT_WORKERS is set")
        .parse()
        .expect("ON_EXIT_WORKERS is a number");
    let start = || {
        Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::null())
            .spawn()
            .expect("sleep starts")
    };
    for index in 0..workers {
        let mut worker = start();
        if let Err(error) = on_exit::kill_on_exit(&mut worker) {
            log(&format!("error {index}: {error}"));
            break;
        }
        worker.kill().expect("the worker is signalled");
        worker.wait().expect("the worker is reaped");
    }
    let mut last = start();
    on_exit::kill_on_exit(&mut last).expect("the last worker is armed");
    log(&format!("child {}", last.id()));
    log("ready");
    std::thread::sleep(std::time::Duration::from_mins(1));
    drop(last);
}

#[cfg(not(unix))]
fn main() {
    eprintln!("guardian_workers is a Unix program: see tests/guardian.rs");
    std::process::exit(2);
}
