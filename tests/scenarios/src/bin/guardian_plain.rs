//! `kill_on_exit` and `remove_on_exit` without the attribute: a child that ignores `SIGTERM`
//! and the path `ON_EXIT_REMOVE`, then `ON_EXIT_END`: `return`, or `wait` (the test kills the
//! program). Logs `child PID`, then `ready`.
#![deny(warnings)]

#[cfg(unix)]
fn main() {
    use on_exit_scenarios::log;

    let mut child = std::process::Command::new("sh")
        .args(["-c", "trap '' TERM; exec sleep 1000"])
        .spawn()
        .expect("sh starts");
    log(&format!("child {}", child.id()));
    on_exit::kill_on_exit(&mut child).expect("the child is armed");
    let path = std::env::var_os("ON_EXIT_REMOVE").expect("ON_EXIT_REMOVE is set");
    on_exit::remove_on_exit(path).expect("the path is armed");
    log("ready");
    if std::env::var("ON_EXIT_END").as_deref() == Ok("wait") {
        std::thread::sleep(std::time::Duration::from_mins(1));
    }
    drop(child);
}

#[cfg(not(unix))]
fn main() {
    eprintln!("guardian_plain is a Unix program: see tests/guardian.rs");
    std::process::exit(2);
}
