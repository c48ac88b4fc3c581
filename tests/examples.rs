//! The examples a user copies, run for real: the graceful TCP server drains its connections
//! on `SIGTERM`, the temp-dirs tool leaves no directory behind, `no_orphans` leaves neither
//! its helper process nor its scratch directory behind after `kill -9`, `wrapper` ends the
//! way its command ended, and `tui` leaves a usable terminal after `kill -9`.
#![cfg(unix)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for the guardian's work after the program's death: its grace
/// period (1 s, `SIGTERM` then `SIGKILL`) plus a margin of seconds for a loaded machine.
const GUARDIAN_DEADLINE: Duration = Duration::from_secs(1 + 4);

/// `target/<profile>/examples/<name>`: `cargo test` builds the examples next to the tests.
fn example(name: &str) -> PathBuf {
    let test = std::env::current_exe().expect("the test's own path");
    let profile_dir = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    profile_dir.join("examples").join(name)
}

/// Sends `signal` to the child `pid`, which is not reaped yet, so the pid is still ours.
fn kill(pid: u32, signal: i32) {
    let pid = i32::try_from(pid).expect("a pid fits in i32");
    // SAFETY: kill has no memory-safety preconditions.
    let result = unsafe { libc::kill(pid, signal) };
    assert_eq!(result, 0, "kill({pid}, {signal})");
}

fn echo(stream: &mut TcpStream, text: &[u8]) -> Vec<u8> {
    stream.write_all(text).expect("send");
    let mut reply = vec![0; text.len()];
    stream.read_exact(&mut reply).expect("echo");
    reply
}

#[test]
fn tcp_server_drains_connections_then_dies_by_sigterm() {
    let address_file =
        std::env::temp_dir().join(format!("on-exit-test-tcp-{}.addr", std::process::id()));
    let stats_file = address_file.with_extension("stats");
    let _ = std::fs::remove_file(&stats_file);
    let mut server = Command::new(example("tcp_server"))
        .env("TCP_SERVER_ADDRESS_FILE", &address_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the example starts");
    let start = Instant::now();
    let address = loop {
        if let Ok(address) = std::fs::read_to_string(&address_file) {
            if !address.is_empty() {
                break address;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the server never listened"
        );
        thread::sleep(Duration::from_millis(5));
    };
    let mut open = TcpStream::connect(&address).expect("connect");
    assert_eq!(echo(&mut open, b"hello\n"), b"hello\n");

    kill(server.id(), libc::SIGTERM);
    // It stops accepting...
    let refused = (0..200).any(|_| {
        thread::sleep(Duration::from_millis(10));
        TcpStream::connect(&address).is_err()
    });
    assert!(refused, "still accepting after SIGTERM");
    // ...but the open connection is still served until the client is done.
    assert_eq!(echo(&mut open, b"still here\n"), b"still here\n");
    drop(open);

    let status = server.wait().expect("wait");
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    assert_eq!(
        std::fs::read_to_string(&stats_file).expect("stats flushed"),
        "echoed 17 bytes\n"
    );
    assert!(
        !address_file.exists(),
        "the cleanup removed the address file"
    );
    let _ = std::fs::remove_file(&stats_file);
}

#[test]
fn temp_dirs_leaves_nothing_behind_even_when_killed_midway() {
    let mut tool = Command::new(example("temp_dirs"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example starts");
    let pid = tool.id();
    // Two directories made and registered, the third not yet (a second's work away).
    let mut lines = BufReader::new(tool.stdout.take().expect("piped")).lines();
    while !lines
        .next()
        .expect("a line before the tool ends")
        .expect("text")
        .starts_with("step 2:")
    {}
    kill(pid, libc::SIGINT);
    let status = tool.wait().expect("wait");
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    let mut stderr = String::new();
    tool.stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.matches("(true)").count() >= 1, "{stderr}");
    for step in 1..=3 {
        let dir = std::env::temp_dir().join(format!("on-exit-step-{pid}-{step}"));
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}

#[test]
fn no_orphans_leaves_nothing_behind_after_kill_9() {
    let mut program = Command::new(example("no_orphans"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the example starts");
    let mut lines = BufReader::new(program.stdout.take().expect("piped")).lines();
    let mut next = |prefix: &str| {
        let line = lines.next().expect("a line").expect("text");
        line.strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{line:?} does not start with {prefix:?}"))
            .to_owned()
    };
    let helper: i32 = next("helper: ").parse().expect("a pid");
    let scratch = PathBuf::from(next("scratch: "));
    assert!(scratch.join("partial.out").is_file());

    kill(program.id(), libc::SIGKILL);
    let status = program.wait().expect("wait");
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let died = Instant::now();
    let running = || {
        std::fs::read_to_string(format!("/proc/{helper}/stat")).is_ok_and(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or_default()
                .trim_start()
                .starts_with('Z')
        })
    };
    while running() || scratch.exists() {
        assert!(
            died.elapsed() < GUARDIAN_DEADLINE,
            "after {GUARDIAN_DEADLINE:?}: helper running {}, scratch there {}",
            running(),
            scratch.exists()
        );
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn wrapper_ends_the_way_its_command_ended() {
    let run = |script: &str| {
        Command::new(example("wrapper"))
            .args(["sh", "-c", script])
            .stderr(Stdio::piped())
            .output()
            .expect("the example runs")
    };
    let exited = run("exit 3");
    assert_eq!(exited.status.code(), Some(3), "{exited:?}");
    let interrupted = run("kill -INT $$");
    assert_eq!(
        interrupted.status.signal(),
        Some(libc::SIGINT),
        "{interrupted:?}"
    );
    for output in [exited, interrupted] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr, "wrapper: cleaned up\n", "{output:?}");
    }
}

/// `tui` on a pseudo-terminal, killed with `kill -9` once it has drawn its screen: the
/// guardian puts the terminal back (echo, canonical mode, signal keys) and writes the resets.
#[cfg(target_os = "linux")]
#[test]
fn tui_leaves_a_usable_terminal_after_kill_9() {
    use std::fs::File;
    use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
    use std::os::unix::process::CommandExt as _;

    let lflag = |terminal: &File| {
        // SAFETY: an all-zero termios is valid for tcgetattr to fill; the master side of a
        // pseudo-terminal reports its terminal's termios.
        let mut termios: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: a valid descriptor and valid memory.
        let got = unsafe { libc::tcgetattr(terminal.as_raw_fd(), &raw mut termios) };
        assert_eq!(got, 0, "tcgetattr");
        termios.c_lflag & (libc::ECHO | libc::ICANON | libc::ISIG)
    };
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors; null name, termios and size ask for defaults.
    let opened = unsafe {
        libc::openpty(
            &raw mut master,
            &raw mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "openpty");
    // SAFETY: two new descriptors that nothing else owns.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // SAFETY: fcntl on a descriptor we own.
    unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    let mut command = Command::new(example("tui"));
    command
        .stdin(Stdio::from(slave.try_clone().expect("dup")))
        .stdout(Stdio::from(slave.try_clone().expect("dup")))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut tui = command.spawn().expect("the example starts");
    drop(command);
    let terminal = File::from(master);
    let mut reader = terminal.try_clone().expect("dup");
    let (seen, screen) = std::sync::mpsc::channel();
    let bytes = thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut chunk = [0; 4096];
        // Until EIO: nobody holds the terminal any more.
        while let Ok(count) = reader.read(&mut chunk) {
            if count == 0 {
                break;
            }
            bytes.extend_from_slice(&chunk[..count]);
            if bytes.windows(8).any(|window| window == b"kill -9 ") {
                let _ = seen.send(());
            }
        }
        bytes
    });
    screen
        .recv_timeout(Duration::from_secs(60))
        .expect("the tui draws its screen");
    assert_eq!(lflag(&terminal), 0, "raw mode is on");
    kill(tui.id(), libc::SIGKILL);
    let status = tui.wait().expect("wait");
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let died = Instant::now();
    while lflag(&terminal) != libc::ECHO | libc::ICANON | libc::ISIG {
        assert!(died.elapsed() < Duration::from_secs(10), "still raw");
        thread::sleep(Duration::from_millis(5));
    }
    let bytes = bytes.join().expect("the reader");
    let reset: &[u8] = b"\x1b[?25h\x1b[?1049l";
    assert!(
        bytes.windows(reset.len()).any(|window| window == reset),
        "{:?}",
        String::from_utf8_lossy(&bytes)
    );
}
