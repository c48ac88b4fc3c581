//! An interactive bash with job control on a real pseudo-terminal: the tests type command
//! lines into it and read what it shows, as a user at a terminal would.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::AsRawFd as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::{spawn_on_a_terminal, Outcome, Running, Scenario, HANG};

/// The shell, the terminal's master side, and everything the terminal showed so far.
pub(crate) struct Shell {
    pub(crate) running: Running,
    pub(crate) terminal: File,
    shown: Arc<Mutex<Vec<u8>>>,
}

impl Shell {
    /// `bash -i` without startup files or line editing (so that the terminal's modes are
    /// its own, not readline's), leading the session of a new pseudo-terminal; the scenario
    /// programs it runs get `env` and the log file.
    pub(crate) fn start(env: &[(&str, &str)]) -> Shell {
        let mut scenario = Scenario::new("bash")
            .arg("--norc")
            .arg("--noprofile")
            .arg("--noediting")
            .arg("-i")
            .env("PS1", "$ ");
        for (key, value) in env {
            scenario = scenario.env(key, value);
        }
        let (running, terminal) = spawn_on_a_terminal(scenario);
        let mut reader = terminal.try_clone().expect("dup of the master");
        let shown = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&shown);
        thread::spawn(move || {
            let mut buffer = [0_u8; 4096];
            // Ends with EIO once no one holds the terminal any more.
            while let Ok(count) = reader.read(&mut buffer) {
                if count == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(&buffer[..count]);
            }
        });
        let shell = Shell {
            running,
            terminal,
            shown,
        };
        shell.wait_until_shown("$ ");
        shell
    }

    /// Types `line` and Enter.
    pub(crate) fn type_line(&mut self, line: &str) {
        self.terminal
            .write_all(format!("{line}\n").as_bytes())
            .expect("typing into the terminal");
    }

    /// What the terminal showed so far.
    pub(crate) fn shown(&self) -> String {
        String::from_utf8_lossy(&self.shown.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }

    /// Waits until the terminal showed `text` (panics after [`HANG`]).
    pub(crate) fn wait_until_shown(&self, text: &str) {
        let start = Instant::now();
        while !self.shown().contains(text) {
            assert!(
                start.elapsed() < HANG,
                "the terminal never showed {text:?}: {:?}",
                self.shown()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// The terminal's foreground process group.
    pub(crate) fn foreground(&self) -> i32 {
        // SAFETY: tcgetpgrp on the master side of a pseudo-terminal we hold.
        unsafe { libc::tcgetpgrp(self.terminal.as_raw_fd()) }
    }

    /// The terminal's local modes.
    pub(crate) fn lflag(&self) -> libc::tcflag_t {
        // SAFETY: an all-zero termios is valid for tcgetattr to fill.
        let mut termios: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: a valid descriptor and valid memory.
        let got = unsafe { libc::tcgetattr(self.terminal.as_raw_fd(), &raw mut termios) };
        assert_eq!(got, 0, "tcgetattr: {}", std::io::Error::last_os_error());
        termios.c_lflag
    }

    /// Types `exit 0` and waits for the shell's end.
    pub(crate) fn exit(mut self) -> Outcome {
        self.type_line("exit 0");
        let outcome = self.running.finish();
        drop(self.terminal);
        outcome
    }
}

/// The state letter of process `pid` (`R`, `S`, `T` for stopped, ...), `None` once gone.
pub(crate) fn state_of(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.trim_start().chars().next()
}

/// Waits (up to 10 s, then panics) until `pid` is stopped.
pub(crate) fn wait_until_stopped(pid: i32) {
    let start = Instant::now();
    while state_of(pid) != Some('T') {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "process {pid} never stopped: state {:?}",
            state_of(pid)
        );
        thread::sleep(Duration::from_millis(2));
    }
}
