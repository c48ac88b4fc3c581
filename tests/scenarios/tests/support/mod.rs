//! Runs a scenario program as a real child process and watches it: its log file, its stderr,
//! and the exact status its parent sees.

#![allow(dead_code)] // each test file uses its own part

#[cfg(target_os = "linux")]
pub(crate) mod shell;

use std::fs;
use std::io::Read as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Only there to catch hangs: generous, the machines are shared.
pub(crate) const HANG: Duration = Duration::from_mins(1);

/// How close together deliveries must be to count as one request: the runtime's
/// `BURST_WINDOW_US`.
pub(crate) const BURST_WINDOW: Duration = Duration::from_millis(100);

/// The widest gap between two sends of a burst that a test trusts: half the window, the other
/// half left for the delivery itself (the program's thread may be scheduled late).
pub(crate) const BURST_GAP: Duration = Duration::from_millis(50);

/// How many times a burst is sent again when the machine was too slow to send it as one.
const BURST_TRIES: usize = 5;

/// The guardian's grace period: `SIGTERM`, then `SIGKILL` this long after (the runtime's
/// `guardian::GRACE`).
pub(crate) const GUARDIAN_GRACE: Duration = Duration::from_secs(1);

/// The most a test waits for the guardian to have done its work after the program's death:
/// its grace period plus a margin of seconds for a loaded machine. (Not a speed promise: the
/// README gives the measured times.)
pub(crate) const GUARDIAN_DEADLINE: Duration =
    GUARDIAN_GRACE.saturating_add(Duration::from_secs(4));

/// A scenario program about to start.
pub(crate) struct Scenario {
    command: Command,
    log: PathBuf,
}

/// The Windows scenario programs, cross-built by `.ci/windows`, which sets this variable.
pub(crate) fn wine_programs() -> PathBuf {
    std::env::var_os("ON_EXIT_WINE_BINS")
        .expect("ON_EXIT_WINE_BINS names the folder of the Windows scenario programs: run `bash .ci/windows`")
        .into()
}

/// A running scenario program.
pub(crate) struct Running {
    pub(crate) child: Child,
    log: PathBuf,
    stderr: Option<thread::JoinHandle<String>>,
}

/// How it ended.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) status: ExitStatus,
    pub(crate) log: Vec<String>,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

fn unique_log() -> PathBuf {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("on-exit-scenario-{}-{n}.log", std::process::id()))
}

impl Scenario {
    /// `program` is `env!("CARGO_BIN_EXE_<name>")`.
    pub(crate) fn new(program: &str) -> Scenario {
        let mut scenario = Scenario::with_inherited_signals(program);
        // The signals a terminal or a supervisor sends at their default, as a shell gives them
        // to a job it starts, whatever this test run inherited (`nohup` ignores SIGHUP, a
        // script's `cmd &` SIGINT and SIGQUIT, and the runtime leaves an inherited ignored
        // signal alone). A test that wants one ignored sets it after this.
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt as _;
            // SAFETY: signal() is async-signal-safe and touches only the child.
            unsafe {
                scenario.command.pre_exec(|| {
                    for signal in [libc::SIGHUP, libc::SIGINT, libc::SIGQUIT, libc::SIGTERM] {
                        libc::signal(signal, libc::SIG_DFL);
                    }
                    Ok(())
                });
            }
        }
        scenario
    }

    /// `program` with the signal dispositions this test run has: for `wine` itself, which the
    /// Windows tests start (they call the console handler instead of sending signals).
    fn with_inherited_signals(program: &str) -> Scenario {
        let log = unique_log();
        let _ = fs::remove_file(&log);
        let mut command = Command::new(program);
        command
            .env("ON_EXIT_LOG", &log)
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        Scenario { command, log }
    }

    /// A program whose `main` waits until its cleanup starts, with the cleanup behaving as
    /// `cleanup` says (`quick`, `slow:MS`, `panic`, `exit:N`, `deep:KIB`, ...).
    pub(crate) fn waiting(program: &str, cleanup: &str) -> Scenario {
        Scenario::new(program)
            .env("ON_EXIT_MAIN", "wait")
            .env("ON_EXIT_CLEANUP", cleanup)
    }

    /// Spawns the program and waits until its handlers are installed (`ready` is logged).
    pub(crate) fn start(self) -> Running {
        let mut running = self.spawn();
        running.wait_for("ready");
        running
    }

    /// Runs the Windows program `name` (`basic`, ...) under wine, through `report_exit.exe`,
    /// which logs the program's full exit code (`exit 0xC000013A`): a Unix parent would see
    /// only its low 8 bits.
    pub(crate) fn wine(name: &str) -> Scenario {
        let programs = wine_programs();
        let program = programs.join(format!("{name}.exe"));
        let mut scenario = Scenario::with_inherited_signals("wine");
        scenario
            .command
            .arg(programs.join("report_exit.exe"))
            .arg(program);
        // Wine maps the Unix root to drive Z:.
        let windows_log = format!("Z:{}", scenario.log.display()).replace('/', "\\");
        scenario.command.env("ON_EXIT_LOG", windows_log);
        scenario
    }

    /// Runs the program under another, such as `unshare --pid --fork`.
    pub(crate) fn wrapped(program: &str, wrapper: &[&str]) -> Scenario {
        let mut scenario = Scenario::new(wrapper[0]);
        scenario.command.args(&wrapper[1..]).arg(program);
        scenario
    }

    pub(crate) fn env(mut self, key: &str, value: &str) -> Scenario {
        self.command.env(key, value);
        self
    }

    pub(crate) fn arg(mut self, arg: &str) -> Scenario {
        self.command.arg(arg);
        self
    }

    pub(crate) fn command(&mut self) -> &mut Command {
        &mut self.command
    }

    /// Starts the program with the limit `resource` at `soft` (and `hard`); it does not start
    /// if the limit cannot be set.
    #[cfg(target_os = "linux")]
    pub(crate) fn rlimit(
        mut self,
        resource: libc::__rlimit_resource_t,
        soft: libc::rlim_t,
        hard: libc::rlim_t,
    ) -> Scenario {
        use std::os::unix::process::CommandExt as _;
        // SAFETY: setrlimit is async-signal-safe and touches only the child.
        unsafe {
            self.command.pre_exec(move || {
                let limit = libc::rlimit {
                    rlim_cur: soft,
                    rlim_max: hard,
                };
                if libc::setrlimit(resource, std::ptr::addr_of!(limit)) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        self
    }

    pub(crate) fn spawn(mut self) -> Running {
        let mut child = self.command.spawn().expect("the scenario program starts");
        let stderr = child.stderr.take().map(|mut pipe| {
            thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        });
        Running {
            child,
            log: self.log,
            stderr,
        }
    }

    /// Runs the program to its end without sending anything.
    pub(crate) fn run(self) -> Outcome {
        self.spawn().finish()
    }
}

impl Running {
    pub(crate) fn log(&self) -> Vec<String> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Waits until the log has a line starting with `prefix`.
    pub(crate) fn wait_for(&mut self, prefix: &str) {
        let start = Instant::now();
        while !self.log().iter().any(|line| line.starts_with(prefix)) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the program ended ({status:?}) before logging {prefix:?}: {:?}",
                    self.log()
                );
            }
            assert!(
                start.elapsed() < HANG,
                "no {prefix:?} in the log: {:?}",
                self.log()
            );
            thread::sleep(Duration::from_millis(1));
        }
    }

    pub(crate) fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("a pid fits in i32")
    }

    /// Sends `signal` to the program.
    pub(crate) fn signal(&self, signal: i32) {
        send(self.pid(), signal);
    }

    /// Sends `signals` in turn, `pause` apart, recording when each went out. Whether they
    /// went out as one burst: no two sends more than [`BURST_GAP`] apart.
    pub(crate) fn burst(&self, signals: &[i32], pause: Duration) -> bool {
        let mut sent = Vec::with_capacity(signals.len());
        for (n, &signal) in signals.iter().enumerate() {
            if n > 0 && !pause.is_zero() {
                thread::sleep(pause);
            }
            self.signal(signal);
            sent.push(Instant::now());
        }
        sent.windows(2).all(|pair| pair[1] - pair[0] <= BURST_GAP)
    }

    /// Waits for the end (killing the program if it hangs) and collects what it left.
    pub(crate) fn finish(mut self) -> Outcome {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waitpid works") {
                break status;
            }
            if start.elapsed() > HANG {
                let _ = self.child.kill();
                panic!("the program hung; log: {:?}", self.log());
            }
            thread::sleep(Duration::from_millis(1));
        };
        let elapsed = start.elapsed();
        let stderr = self
            .stderr
            .take()
            .map(|reader| reader.join().unwrap_or_default())
            .unwrap_or_default();
        let log = self.log();
        let _ = fs::remove_file(&self.log);
        Outcome {
            status,
            log,
            stderr,
            elapsed,
        }
    }
}

/// Starts a program with `start` and sends it `signals` as one burst, `pause` apart; its
/// outcome. When the machine was too slow to send them within the burst window (a send late
/// by more than [`BURST_GAP`]), the program may rightly have seen a second request: that run
/// is thrown away and the scenario runs again, up to [`BURST_TRIES`] times.
pub(crate) fn one_burst(start: impl Fn() -> Running, signals: &[i32], pause: Duration) -> Outcome {
    for _ in 0..BURST_TRIES {
        let running = start();
        let sent_as_one = running.burst(signals, pause);
        let outcome = running.finish();
        if sent_as_one {
            return outcome;
        }
        eprintln!("a send of the burst came more than {BURST_GAP:?} after the one before: again");
    }
    panic!(
        "in {BURST_TRIES} tries, the machine never sent {} signals without a gap over {BURST_GAP:?}",
        signals.len()
    );
}

/// `kill(pid, signal)`.
pub(crate) fn send(pid: i32, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    let result = unsafe { libc::kill(pid, signal) };
    assert_eq!(result, 0, "kill({pid}, {signal}) failed");
}

impl Outcome {
    /// The `cleanup <Reason>` lines: one per run of the cleanup.
    pub(crate) fn cleanups(&self) -> Vec<&str> {
        self.log
            .iter()
            .filter(|line| line.starts_with("cleanup ") && *line != "cleanup done")
            .map(String::as_str)
            .collect()
    }

    /// The cleanup ran exactly once, for `reason`, and finished.
    pub(crate) fn assert_cleaned_once(&self, reason: &str) {
        assert_eq!(self.cleanups(), [format!("cleanup {reason}")], "{self:#?}");
        assert!(
            self.finished_cleanup(),
            "the cleanup did not finish: {self:#?}"
        );
    }

    pub(crate) fn finished_cleanup(&self) -> bool {
        self.log.iter().any(|line| line == "cleanup done")
    }

    /// The parent saw the process killed by `signal`.
    pub(crate) fn assert_killed_by(&self, signal: i32) {
        assert_eq!(self.status.signal(), Some(signal), "{self:#?}");
        assert!(!self.status.core_dumped(), "{self:#?}");
    }

    /// The Windows program ended with `code`, as `report_exit.exe` logged it.
    pub(crate) fn assert_windows_code(&self, code: u32) {
        let expected = format!("exit {code:#010X}");
        assert_eq!(self.log.last(), Some(&expected), "{self:#?}");
    }

    /// The parent saw `exit(code)`.
    pub(crate) fn assert_code(&self, code: i32) {
        assert_eq!(self.status.code(), Some(code), "{self:#?}");
    }
}

/// Starts the program as the session leader of a new pseudo-terminal, which becomes its
/// controlling terminal and its stdin, stdout and stderr. Returns the master side: writing
/// `\x03` to it is typing Ctrl-C, dropping it is the terminal hanging up.
#[cfg(target_os = "linux")]
pub(crate) fn spawn_on_a_terminal(mut scenario: Scenario) -> (Running, std::fs::File) {
    use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
    use std::os::unix::process::CommandExt as _;

    let mut master = -1;
    let mut slave = -1;
    // SAFETY: openpty writes two fds into valid pointers; null name, termios and winsize ask
    // for the defaults (ISIG on, ^C as VINTR).
    let result = unsafe {
        libc::openpty(
            &raw mut master,
            &raw mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(result, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty returned two fds that nothing else owns.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // The child must not keep the master open, or closing ours would not hang up.
    // SAFETY: fcntl on an fd we own.
    unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };

    let command = scenario.command();
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
    (scenario.spawn(), std::fs::File::from(master))
}

/// Builds the separate workspace `tests/NAME` (its own edition or profile) with the cargo
/// running the tests, offline, into a folder of the test target; returns that folder's
/// `debug` directory.
pub(crate) fn build_separate(name: &str) -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("Cargo.toml");
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--quiet", "--offline", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .status()
        .expect("cargo runs");
    assert!(built.success(), "tests/{name} builds");
    target.join("debug")
}

/// Whether `pid` is gone: no such process, or a zombie (PID 1 here does not reap orphans).
pub(crate) fn gone(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .unwrap_or_default()
            .trim_start()
            .starts_with('Z'),
    }
}

/// Waits (up to 10 s, then panics) until every process of `pids` is gone: none may have
/// swallowed the signal that should have ended it.
pub(crate) fn assert_gone_soon(pids: &[i32]) {
    assert_gone_within(Duration::from_secs(10), pids);
}

/// Waits (up to `limit`, then panics) until every process of `pids` is gone.
pub(crate) fn assert_gone_within(limit: Duration, pids: &[i32]) {
    let start = Instant::now();
    while !pids.iter().all(|pid| gone(*pid)) {
        let running: Vec<_> = pids.iter().filter(|pid| !gone(**pid)).collect();
        assert!(
            start.elapsed() < limit,
            "still running after {limit:?}: {running:?}"
        );
        thread::sleep(Duration::from_millis(2));
    }
}

/// Whether this machine lets the tests make PID namespaces (`unshare --pid --fork
/// --mount-proc`, which needs root); says SKIPPED when it does not.
pub(crate) fn pid_namespaces_work() -> bool {
    let works = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !works {
        eprintln!("SKIPPED: `unshare --pid --fork --mount-proc` is not permitted on this machine");
    }
    works
}

/// The guardian of `program`: the process whose environment names it (`v1:PID`: see
/// `guardian_value` in runtime/src/guardian/sys/unix/bootstrap.rs).
pub(crate) fn guardian_of(program: i32) -> Option<i32> {
    let wanted = format!("ON_EXIT_GUARDIAN=v1:{program}");
    fs::read_dir("/proc").unwrap().flatten().find_map(|entry| {
        let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
        let environ = fs::read(entry.path().join("environ")).ok()?;
        environ
            .split(|byte| *byte == 0)
            .any(|variable| variable == wanted.as_bytes())
            .then_some(pid)
    })
}

/// Whether a user other than the owner may run `program`: every folder above it searchable
/// by others.
pub(crate) fn others_may_run(program: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;

    program.ancestors().skip(1).all(|folder| {
        std::fs::metadata(folder).is_ok_and(|meta| meta.permissions().mode() & 0o001 != 0)
    })
}
