//! A prompt reaper, as systemd and tini are: `subreaper PROGRAM ARGS...` becomes the child
//! subreaper of what it starts (orphans below it are given to it, not to PID 1), runs the
//! program, and reaps every process given to it the moment it ends. It exits once it has no
//! child left, with the program's exit code (128 + N if a signal N killed it).
#![deny(warnings)]

#[cfg(target_os = "linux")]
fn main() {
    use std::os::unix::process::ExitStatusExt as _;

    // SAFETY: prctl with integer arguments only.
    let set = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    assert_eq!(set, 0, "PR_SET_CHILD_SUBREAPER");
    let mut args = std::env::args_os().skip(1);
    let program = args.next().expect("a program to run");
    let child = std::process::Command::new(program)
        .args(args)
        .spawn()
        .expect("the program starts");
    let program = libc::pid_t::try_from(child.id()).expect("a pid fits");
    let mut code = 0;
    loop {
        let mut status = 0;
        // SAFETY: waits for any child into a valid int.
        let pid = unsafe { libc::waitpid(-1, &raw mut status, 0) };
        if pid == -1 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            break; // ECHILD: no child left
        }
        if pid == program {
            let status = std::process::ExitStatus::from_raw(status);
            code = status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        }
    }
    std::process::exit(code);
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("subreaper is a Linux program: see tests/guardian.rs");
    std::process::exit(2);
}
