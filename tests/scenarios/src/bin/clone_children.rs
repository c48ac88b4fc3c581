//! Children made without `fork` (`tests/clone_children.rs`): children that share memory with
//! their parent (`CLONE_VM`: vfork, a `clone` with its own stack), children whose process id
//! equals their parent's (`CLONE_NEWPID` under a parent that is PID 1), and a raw `clone`
//! child whose first use of on-exit is eight threads at once. `argv[1]` says which:
//!
//! - `vm-signal FLAGS`: `clone` with `CLONE_VM` (+ `CLONE_VFORK` if FLAGS is `vfork`); the child
//!   sends itself `SIGTERM`, then (if it is still alive) says so and leaves with `_exit(3)`.
//!   The parent logs the child's wait status, waits 2 s, and returns.
//! - `vm-kill`: `clone(CLONE_VM)`; the child sleeps; the parent sends it `SIGTERM`, logs its
//!   wait status (or that it was still alive after 3 s, then `SIGKILL`s it), waits 2 s, returns.
//! - `newpid-exit`: raw `clone(CLONE_NEWPID | SIGCHLD)` (root); the child calls
//!   `std::process::exit(0)`. The parent logs its wait status, returns.
//! - `newpid-signal`: as above, but the child registers nothing, says ready and sleeps; the
//!   parent sends it `SIGTERM` and logs its status (killed, or still alive after 3 s).
//!
//! Every line is written with one `write(2)` to stderr and carries the writer's pid (as the
//! kernel sees it, `getpid`).
#![deny(warnings)]
#![cfg_attr(not(target_os = "linux"), allow(dead_code, unused_imports))]

use std::thread;
use std::time::{Duration, Instant};

use on_exit::{on_exit, Reason};

#[cfg(target_os = "linux")]
fn say(line: &str) {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    let text = format!("{pid} {line}\n");
    // SAFETY: one write of a valid buffer.
    unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
}

#[cfg(target_os = "linux")]
fn cleanup(reason: Reason) {
    say(&format!("parent's cleanup {reason:?}"));
}

#[cfg(target_os = "linux")]
extern "C" fn vm_child_signal(_: *mut libc::c_void) -> libc::c_int {
    // SAFETY: kill/getpid/write/_exit only: no allocation in a child sharing the parent's heap.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGTERM);
        let text = b"child: still alive after SIGTERM to itself\n";
        libc::write(2, text.as_ptr().cast(), text.len());
        libc::_exit(3)
    }
}

#[cfg(target_os = "linux")]
extern "C" fn vm_child_sleep(_: *mut libc::c_void) -> libc::c_int {
    // SAFETY: write/nanosleep/_exit only.
    unsafe {
        let text = b"child: ready\n";
        libc::write(2, text.as_ptr().cast(), text.len());
        let pause = libc::timespec {
            tv_sec: 10,
            tv_nsec: 0,
        };
        libc::nanosleep(std::ptr::addr_of!(pause), std::ptr::null_mut());
        let text = b"child: slept 10 s, leaving with _exit(4)\n";
        libc::write(2, text.as_ptr().cast(), text.len());
        libc::_exit(4)
    }
}

/// Waits for `pid` up to `limit`; its raw status, or `None` if it is still alive.
#[cfg(target_os = "linux")]
fn wait_for(pid: libc::pid_t, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes into a valid integer. __WALL: a child whose exit signal is
        // not SIGCHLD is waited for too.
        let got = unsafe { libc::waitpid(pid, &raw mut status, libc::WNOHANG | libc::__WALL) };
        if got == pid {
            return Some(status);
        }
        if start.elapsed() > limit {
            return None;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(target_os = "linux")]
fn describe(status: Option<i32>) -> String {
    match status {
        None => "still alive".to_owned(),
        Some(status) if libc::WIFSIGNALED(status) => {
            format!("killed by signal {}", libc::WTERMSIG(status))
        }
        Some(status) => format!("exited {}", libc::WEXITSTATUS(status)),
    }
}

#[cfg(target_os = "linux")]
fn clone_vm(child: extern "C" fn(*mut libc::c_void) -> libc::c_int, vfork: bool) -> libc::pid_t {
    const STACK: usize = 256 * 1024;
    let stack = Box::leak(vec![0_u8; STACK].into_boxed_slice());
    let mut flags = libc::CLONE_VM | libc::SIGCHLD;
    if vfork {
        flags |= libc::CLONE_VFORK;
    }
    // SAFETY: the child runs `child` on its own leaked stack and only makes system calls.
    let pid = unsafe {
        libc::clone(
            child,
            stack.as_mut_ptr().add(STACK).cast(),
            flags,
            std::ptr::null_mut(),
        )
    };
    assert!(pid > 0, "clone: {}", std::io::Error::last_os_error());
    pid
}

#[cfg(target_os = "linux")]
fn raw_clone_newpid() -> libc::c_long {
    // SAFETY: a raw clone without CLONE_VM is a fork without the fork handlers.
    let child = unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::CLONE_NEWPID | libc::SIGCHLD,
            0,
            0,
            0,
            0,
        )
    };
    assert!(child >= 0, "clone: {}", std::io::Error::last_os_error());
    child
}

#[cfg(target_os = "linux")]
#[on_exit(cleanup)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let how = args.get(1).map_or("", String::as_str);
    say(&format!("parent starts ({how})"));
    match how {
        "vm-signal" => {
            let vfork = args.get(2).map(String::as_str) == Some("vfork");
            let child = clone_vm(vm_child_signal, vfork);
            let status = wait_for(child, Duration::from_secs(5));
            say(&format!("child {child}: {}", describe(status)));
            thread::sleep(Duration::from_secs(2));
            say("parent returns");
        }
        "vm-kill" => {
            let child = clone_vm(vm_child_sleep, false);
            thread::sleep(Duration::from_millis(300));
            // SAFETY: kill of our own child.
            unsafe { libc::kill(child, libc::SIGTERM) };
            let status = wait_for(child, Duration::from_secs(3));
            say(&format!(
                "child {child} after SIGTERM: {}",
                describe(status)
            ));
            if status.is_none() {
                // SAFETY: kill of our own child, then reap it.
                unsafe { libc::kill(child, libc::SIGKILL) };
                let _ = wait_for(child, Duration::from_secs(5));
            }
            thread::sleep(Duration::from_secs(2));
            say("parent returns");
        }
        "newpid-exit" | "newpid-signal" => {
            let child = raw_clone_newpid();
            if child == 0 {
                say("child: ready");
                if how == "newpid-exit" {
                    std::process::exit(0);
                }
                loop {
                    thread::sleep(Duration::from_millis(10));
                }
            }
            let child = libc::pid_t::try_from(child).expect("a pid");
            if how == "newpid-signal" {
                thread::sleep(Duration::from_millis(300));
                // SAFETY: kill of our own child.
                unsafe { libc::kill(child, libc::SIGTERM) };
            }
            let status = wait_for(child, Duration::from_secs(3));
            say(&format!("child {child}: {}", describe(status)));
            if status.is_none() {
                // SAFETY: kill of our own child, then reap it.
                unsafe { libc::kill(child, libc::SIGKILL) };
                let _ = wait_for(child, Duration::from_secs(5));
            }
            say("parent returns");
        }
        "newpid-grandchild" => {
            // Not PID 1 itself: a child in a new PID namespace (pid 1 there) registers its own
            // cleanup, then makes a grandchild in another new PID namespace (pid 1 there too)
            // that calls `process::exit`.
            let child = raw_clone_newpid();
            if child == 0 {
                on_exit::register(|reason: Reason| say(&format!("child's cleanup {reason:?}")));
                let grandchild = raw_clone_newpid();
                if grandchild == 0 {
                    say("grandchild: ready");
                    std::process::exit(0);
                }
                let grandchild = libc::pid_t::try_from(grandchild).expect("a pid");
                let status = wait_for(grandchild, Duration::from_secs(5));
                say(&format!("grandchild {grandchild}: {}", describe(status)));
                std::process::exit(0);
            }
            let child = libc::pid_t::try_from(child).expect("a pid");
            let status = wait_for(child, Duration::from_secs(10));
            say(&format!("child {child}: {}", describe(status)));
        }
        "clone-register-race" => {
            // A raw clone child whose first use of on-exit is eight threads registering at once.
            // SAFETY: clone with SIGCHLD and no other flag is fork without the fork handlers.
            let child = unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD, 0, 0, 0, 0) };
            if child == 0 {
                let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
                let threads: Vec<_> = (0..8)
                    .map(|n| {
                        let barrier = barrier.clone();
                        thread::spawn(move || {
                            barrier.wait();
                            on_exit::register(move || say(&format!("child's cleanup {n}")));
                        })
                    })
                    .collect();
                for thread in threads {
                    thread.join().unwrap();
                }
                std::process::exit(0);
            }
            let child = libc::pid_t::try_from(child).expect("a pid");
            let status = wait_for(child, Duration::from_secs(10));
            say(&format!("child {child}: {}", describe(status)));
        }
        _ => panic!("clone_children: unknown scenario {how:?}"),
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {}
