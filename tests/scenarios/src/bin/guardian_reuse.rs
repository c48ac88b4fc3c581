//! `kill_on_exit` on a child already waited for, whose number another child of the program
//! has since been given. Run as root in a PID namespace of its own (`unshare --pid --fork
//! --mount-proc`), where `/proc/sys/kernel/ns_last_pid` chooses the next number: the program
//! starts `true` and waits for it, makes the next number that one, starts a `sleep` (the
//! other child), then calls `kill_on_exit` on the first. Logs `reused PID` (or `not reused`,
//! and stops), `call Ok` or `call error ...`, then returns: the attribute's handler logs
//! `handler: other alive` or `handler: other gone`.
#![deny(warnings)]

#[cfg(target_os = "linux")]
mod linux {
    use std::process::{Child, Command, Stdio};
    use std::sync::Mutex;

    use on_exit_scenarios::log;

    static OTHER: Mutex<Option<u32>> = Mutex::new(None);

    fn running(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            !matches!(state.and_then(|s| s.chars().next()), Some('Z' | 'X'))
        })
    }

    pub(crate) fn handler() {
        let other = OTHER.lock().unwrap().expect("the other child started");
        let state = if running(other) { "alive" } else { "gone" };
        log(&format!("handler: other {state}"));
    }

    fn spawn(program: &str, args: &[&str]) -> Child {
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .spawn()
            .expect("the child starts")
    }

    pub(crate) fn main() {
        let mut first = spawn("true", &[]);
        first.wait().expect("true ends");
        std::fs::write("/proc/sys/kernel/ns_last_pid", (first.id() - 1).to_string())
            .expect("ns_last_pid is writable (root, in a PID namespace of its own)");
        let mut other = spawn("sleep", &["1000"]);
        *OTHER.lock().unwrap() = Some(other.id());
        if other.id() != first.id() {
            log("not reused");
            let _ = other.kill();
            let _ = other.wait();
            return;
        }
        log(&format!("reused {}", other.id()));
        match on_exit::kill_on_exit(&mut first) {
            Ok(()) => log("call Ok"),
            Err(error) => log(&format!("call error {error}")),
        }
        // `other` is left running: the cleanups must not touch it.
        std::mem::forget(other);
    }
}

#[cfg(target_os = "linux")]
#[on_exit::on_exit(linux::handler)]
fn main() {
    linux::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("guardian_reuse is a Linux program: see tests/guardian.rs");
    std::process::exit(2);
}
