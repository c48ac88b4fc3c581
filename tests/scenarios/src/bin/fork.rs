//! A program that forks, in the two shapes real programs have. `ON_EXIT_FORK` says which:
//!
//! - `workers:N`: a pre-fork pool. `N` workers loop until a signal ends them; with
//!   `ON_EXIT_WORKER=register`, each registers a cleanup of its own first; with
//!   `ON_EXIT_WORKER=exit`, each calls `process::exit(0)` at once and the parent waits for
//!   them, then returns; with `ON_EXIT_WORKER=signal-hook` or `tokio`, each handles `SIGTERM`
//!   itself (a signal-hook flag, or tokio's signal stream), says so and exits 0. Otherwise
//!   the parent reaps the workers that end, then waits for a signal.
//! - `kill-at-once:N`: the parent forks `N` workers, sending each `SIGTERM` the moment `fork`
//!   returns (it may reach the child before the child's fork handlers ran); each worker
//!   sleeps 100 ms and leaves with `_exit(7)`. The parent logs each worker's wait status.
//! - `clone`: the parent makes a child with the raw `clone` system call, which runs no fork
//!   handler; the child says it is ready and waits to be signalled, or with
//!   `ON_EXIT_WORKER=exit` calls `exit(0)` at once. The parent logs its wait status.
//! - `fork-in-cleanup`: a registered cleanup forks; the child returns from it (then from
//!   `main`), the parent waits for it.
//! - `scoped`: the parent makes a `scoped` guard, then forks; the child registers two
//!   cleanups of its own, drops its copy of the parent's guard, and exits. The parent waits
//!   for it, then drops its guard and returns.
//! - `daemon`: a double fork. The original process and the middle one leave at once with
//!   `_exit`; the daemon registers its own cleanup and works until asked to stop.
//!
//! Every line logged carries the logging process's id.
#![deny(warnings)]
#![cfg_attr(not(unix), allow(unused_imports, dead_code))]

use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use on_exit::{on_exit, Reason};
use on_exit_scenarios::{log, setting_of};

/// The words of `ON_EXIT_WORKER`: nothing, `register`, `exit`, `signal-hook` or `tokio`.
const WORKER_WORDS: &[&str] = &["", "register", "exit", "signal-hook", "tokio"];

fn say(line: &str) {
    log(&format!("{} {line}", std::process::id()));
}

fn cleanup(reason: Reason) {
    say(&format!("cleanup {reason:?}"));
}

#[cfg(unix)]
fn fork() -> libc::pid_t {
    // SAFETY: the children only log, sleep, register and exit: no lock that another thread of
    // the parent may hold is needed, beyond what the runtime itself is built to survive.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    pid
}

/// Waits for child `pid` and returns its raw wait status.
#[cfg(unix)]
fn wait_status(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: waitpid writes the status into a valid integer.
    unsafe { libc::waitpid(pid, &raw mut status, 0) };
    status
}

#[cfg(unix)]
fn leave_at_once() -> ! {
    // SAFETY: _exit ends the process without running any hook.
    unsafe { libc::_exit(0) }
}

#[cfg(unix)]
fn worker() -> ! {
    match setting_of("ON_EXIT_WORKER", WORKER_WORDS).as_str() {
        "exit" => {
            say("worker exits");
            std::process::exit(0)
        }
        "register" => {
            on_exit::register(|reason: Reason| say(&format!("worker cleanup {reason:?}")));
        }
        "signal-hook" => {
            let term = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            signal_hook::flag::register(signal_hook::consts::SIGTERM, term.clone())
                .expect("signal-hook registers");
            say("worker ready");
            while !term.load(std::sync::atomic::Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(10));
            }
            say("worker handled SIGTERM");
            std::process::exit(0)
        }
        "tokio" => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .expect("tokio's signal stream");
                say("worker ready");
                term.recv().await;
            });
            say("worker handled SIGTERM");
            std::process::exit(0)
        }
        _ => {}
    }
    say("worker ready");
    loop {
        thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(unix)]
#[on_exit(cleanup)]
fn main() -> ExitCode {
    let how = std::env::var("ON_EXIT_FORK").unwrap_or_default();
    if let Some(count) = how.strip_prefix("workers:") {
        let count: usize = count.parse().expect("a worker count");
        let mut workers = Vec::new();
        for _ in 0..count {
            match fork() {
                0 => worker(),
                pid => workers.push(pid),
            }
        }
        say("ready");
        for pid in workers {
            let mut status = 0;
            // SAFETY: waitpid writes the status into a valid integer.
            unsafe { libc::waitpid(pid, &raw mut status, 0) };
            say(&format!("worker {pid} ended: {status}"));
        }
        if setting_of("ON_EXIT_WORKER", WORKER_WORDS) != "exit" {
            // Stay until a signal ends the parent too.
            thread::sleep(Duration::from_mins(1));
        }
        return ExitCode::SUCCESS;
    }
    if let Some(count) = how.strip_prefix("kill-at-once:") {
        let count: usize = count.parse().expect("a worker count");
        let mut workers = Vec::new();
        for _ in 0..count {
            match fork() {
                0 => {
                    thread::sleep(Duration::from_millis(100));
                    // SAFETY: _exit ends the process without running any hook.
                    unsafe { libc::_exit(7) }
                }
                pid => {
                    // SAFETY: kill sends a signal to our own child.
                    unsafe { libc::kill(pid, libc::SIGTERM) };
                    workers.push(pid);
                }
            }
        }
        for pid in workers {
            say(&format!("worker ended: {}", wait_status(pid)));
        }
        return ExitCode::SUCCESS;
    }
    if how == "clone" {
        // SAFETY: clone with SIGCHLD and no other flag is fork without the fork handlers: the
        // child gets a copy of this process, as with fork, and only logs, sleeps and exits.
        let child = unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD, 0, 0, 0, 0) };
        assert!(child >= 0, "clone: {}", std::io::Error::last_os_error());
        if child == 0 {
            if setting_of("ON_EXIT_WORKER", WORKER_WORDS) == "exit" {
                std::process::exit(0);
            }
            say("clone child ready");
            loop {
                thread::sleep(Duration::from_millis(10));
            }
        }
        let child = libc::pid_t::try_from(child).expect("a process id");
        say(&format!("clone child ended: {}", wait_status(child)));
        return ExitCode::SUCCESS;
    }
    if how == "fork-in-cleanup" {
        on_exit::register(|| {
            let child = fork();
            if child == 0 {
                say("forked by a cleanup");
                return;
            }
            say(&format!("cleanup's child ended: {}", wait_status(child)));
        });
        return ExitCode::SUCCESS;
    }
    if how == "scoped" {
        let guard = on_exit::scoped(|| say("parent scoped cleanup"));
        let child = fork();
        if child == 0 {
            on_exit::register(|| say("child cleanup A"));
            on_exit::register(|| say("child cleanup B"));
            drop(guard);
            say("child dropped its copy of the parent's guard");
            std::process::exit(0);
        }
        let mut status = 0;
        // SAFETY: waitpid writes the status into a valid integer.
        unsafe { libc::waitpid(child, &raw mut status, 0) };
        drop(guard);
        return ExitCode::SUCCESS;
    }
    assert_eq!(how, "daemon", "ON_EXIT_FORK is workers:N, scoped or daemon");
    if fork() != 0 {
        leave_at_once();
    }
    // SAFETY: setsid has no preconditions.
    unsafe { libc::setsid() };
    if fork() != 0 {
        leave_at_once();
    }
    on_exit::register(|reason: Reason| say(&format!("daemon cleanup {reason:?}")));
    say("daemon ready");
    while !on_exit::requested() {
        thread::sleep(Duration::from_millis(10));
    }
    ExitCode::SUCCESS
}

#[cfg(not(unix))]
fn main() {}
