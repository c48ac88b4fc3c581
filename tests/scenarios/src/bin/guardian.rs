//! Children and paths armed with `kill_on_exit` and `remove_on_exit`, then an ending, maybe
//! one no code of the program survives:
//!
//! - `ON_EXIT_CHILDREN`: the children, comma-separated: `plain` (`sleep`), `deaf` (ignores
//!   `SIGTERM`), `group` (leads its own process group, with a `sleep` of its own), `deafgroup`
//!   (the same, all ignoring `SIGTERM`), `deafmember` (leads its own group and goes on
//!   `SIGTERM`, but its `sleep` ignores it), `reapedgroup` (leads its own group, whose `sleep`
//!   ignores `SIGTERM`; once everything is armed it ends and the program reaps it, logging
//!   `reaped PID`), `reaped` (already ended and waited for), `zombie` (ended, not waited
//!   for), `spare` (a `sleep` that is not armed: it must survive), `flusher` (on `SIGTERM` it
//!   writes `tree/last`, making `tree` again if it is gone, as a child flushing its output
//!   into its scratch directory does), `N*kind` for N of them.
//! - `ON_EXIT_LATER`: if set, a `sleep` started and armed after the guardian is running
//!   (`later PID`).
//! - `ON_EXIT_REMOVE`: paths, comma-separated (a relative one is resolved at the call).
//! - `ON_EXIT_REFUSE`: more paths, separated by `|` (so that the empty path can be one), each
//!   logged as `remove "PATH": ok` or `remove "PATH": KIND` (the error's kind); these are not
//!   errors of the run.
//! - `ON_EXIT_NOFILE_AFTER`: if set, after arming, the descriptor limit is lowered so that one
//!   more descriptor can be opened: the program's own removal of a tree fails.
//! - `ON_EXIT_CHDIR`: where to go after arming.
//! - `ON_EXIT_FORK`: a path: after arming, the program forks; the child arms this path with
//!   `remove_on_exit` and kills itself with `SIGKILL` (its own guardian must remove it), and
//!   the program waits for it and logs `forked PID`.
//! - `ON_EXIT_SIGCHLD=ignore`: `SIGCHLD` set to `SIG_IGN` first (the kernel reaps the
//!   children itself).
//! - `ON_EXIT_NOFILE`: lower the descriptor limit to this before arming (the guardian cannot
//!   start): the calls' errors are logged and `main` goes on.
//! - `ON_EXIT_NOFILE_SOFT`: lower only the soft limit to this before arming; then, once the
//!   first child is armed (the guardian runs), raise it back to the hard limit, as a program
//!   that raises its own limit does.
//! - `ON_EXIT_GUARDIAN_NOFILE`: once the first child is armed, lower the guardian's limit to
//!   this (`prlimit`), so that it cannot take every child.
//! - `ON_EXIT_END`: `wait` (the test kills the program), `abort`, `crash` (a write to an
//!   invalid address), `return`, `panic`, `exit:N`, `exec:N` (the process goes on as
//!   `sleep N`: a launcher handing over).
//!
//! Logs `program PID`, `child PID`, `grandchild PID` (for the group kinds), `spare PID`,
//! `refused PID` for each child whose call failed, `armed` or `error ...`, then `ready`. The attribute's handler, which runs after the registered cleanups, logs
//! `handler: N alive` (children and grandchildren not yet ended) and `handler: N left` (paths
//! still there).
#![deny(warnings)]

#[cfg(unix)]
mod unix {
    use std::io::{BufRead as _, BufReader};
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::sync::Mutex;
    use std::time::Duration;

    use on_exit_scenarios::log;

    static WATCHED: Mutex<(Vec<u32>, Vec<PathBuf>)> = Mutex::new((Vec::new(), Vec::new()));

    fn setting(name: &str) -> String {
        std::env::var(name).unwrap_or_default()
    }

    /// Whether `pid` is running (not ended, not a zombie).
    fn running(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            !matches!(state.and_then(|s| s.chars().next()), Some('Z' | 'X'))
        })
    }

    pub(crate) fn handler() {
        let watched = WATCHED.lock().unwrap();
        let alive = watched.0.iter().filter(|pid| running(**pid)).count();
        let left = watched
            .1
            .iter()
            .filter(|path| path.symlink_metadata().is_ok())
            .count();
        log(&format!("handler: {alive} alive"));
        log(&format!("handler: {left} left"));
    }

    fn spawn(kind: &str) -> Child {
        let shell = |script: &str, group: bool| {
            let mut command = Command::new("sh");
            command.args(["-c", script]);
            if group {
                // It prints its own child's id.
                command.stdout(Stdio::piped());
                std::os::unix::process::CommandExt::process_group(&mut command, 0);
            }
            command.spawn().expect("sh starts")
        };
        match kind {
            "plain" => Command::new("sleep")
                .arg("1000")
                .spawn()
                .expect("sleep starts"),
            "deaf" => shell("trap '' TERM; exec sleep 1000", false),
            "group" => shell("sleep 1000 & echo $!; wait", true),
            "deafgroup" => shell("trap '' TERM; sleep 1000 & echo $!; wait", true),
            "deafmember" => shell("(trap '' TERM; exec sleep 1000) & echo $!; wait", true),
            "reapedgroup" => {
                let mut command = Command::new("sh");
                command
                    .args(["-c", "trap '' TERM; sleep 1000 & echo $!; read line"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped());
                std::os::unix::process::CommandExt::process_group(&mut command, 0);
                command.spawn().expect("sh starts")
            }
            "flusher" => shell(
                "trap 'mkdir -p tree; echo bye > tree/last; exit 0' TERM; \
                 while :; do sleep 0.01; done",
                false,
            ),
            "reaped" | "zombie" => {
                let mut child = Command::new("true").spawn().expect("true starts");
                if kind == "reaped" {
                    child.wait().expect("true ends");
                } else {
                    while running(child.id()) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
                child
            }
            _ => panic!("unknown child kind {kind}"),
        }
    }

    /// `ON_EXIT_REFUSE`: arms each path and logs the answer.
    fn try_each(paths: &str) {
        for path in paths.split('|') {
            match on_exit::remove_on_exit(path) {
                Ok(()) => log(&format!("remove {path:?}: ok")),
                Err(error) => log(&format!("remove {path:?}: {:?}", error.kind())),
            }
        }
    }

    /// Lowers the soft descriptor limit so that the lowest free descriptor stays usable and
    /// the next one is over the limit.
    fn leave_one_descriptor() {
        // SAFETY: dup of standard input into the lowest free descriptor, closed at once.
        let free = unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 0) };
        assert!(free > 0);
        // SAFETY: closes the descriptor just made.
        unsafe { libc::close(free) };
        descriptor_limit(0, libc::rlim_t::try_from(free).unwrap() + 1, None);
    }

    /// Sets the soft descriptor limit of process `pid` (0: this one) to `soft`, and the hard
    /// one to `hard` (`None`: unchanged).
    fn descriptor_limit(pid: libc::pid_t, soft: libc::rlim_t, hard: Option<libc::rlim_t>) {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: prlimit reads and fills valid rlimits.
        unsafe {
            assert_eq!(
                libc::prlimit(pid, libc::RLIMIT_NOFILE, std::ptr::null(), &raw mut limit),
                0
            );
            limit.rlim_cur = soft.min(hard.unwrap_or(limit.rlim_max));
            limit.rlim_max = hard.unwrap_or(limit.rlim_max);
            let set = libc::prlimit(
                pid,
                libc::RLIMIT_NOFILE,
                &raw const limit,
                std::ptr::null_mut(),
            );
            assert_eq!(set, 0, "prlimit: {}", std::io::Error::last_os_error());
        }
    }

    /// The guardian of this program: the process whose environment names it.
    fn guardian() -> libc::pid_t {
        let wanted = format!("ON_EXIT_GUARDIAN=v1:{}", std::process::id());
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .find_map(|entry| {
                let pid = entry.file_name().to_str()?.parse().ok()?;
                let environ = std::fs::read(entry.path().join("environ")).ok()?;
                environ
                    .split(|byte| *byte == 0)
                    .any(|variable| variable == wanted.as_bytes())
                    .then_some(pid)
            })
            .expect("a guardian runs")
    }

    /// The children `ON_EXIT_CHILDREN` names, started (and logged), not armed yet.
    fn spawn_all() -> Vec<Child> {
        let mut children = Vec::new();
        let kinds = setting("ON_EXIT_CHILDREN");
        for word in kinds.split(',').filter(|word| !word.is_empty()) {
            let (count, kind) = word
                .split_once('*')
                .map_or((1, word), |(count, kind)| (count.parse().unwrap(), kind));
            for _ in 0..count {
                if kind == "spare" {
                    // Not armed, not waited for: the test kills it.
                    #[allow(clippy::zombie_processes)]
                    let spare = spawn("plain");
                    log(&format!("spare {}", spare.id()));
                    continue;
                }
                let mut child = spawn(kind);
                log(&format!("child {}", child.id()));
                let mut pids = vec![child.id()];
                if let Some(output) = child.stdout.take() {
                    let mut line = String::new();
                    BufReader::new(output).read_line(&mut line).unwrap();
                    let grandchild: u32 = line.trim().parse().unwrap();
                    log(&format!("grandchild {grandchild}"));
                    pids.push(grandchild);
                }
                if !matches!(kind, "reaped" | "zombie") {
                    WATCHED.lock().unwrap().0.extend(pids);
                }
                children.push(child);
            }
        }
        children
    }

    /// The ending `ON_EXIT_END` names (a return if it names none that leaves here).
    fn end(how: &str) {
        match how {
            "wait" => std::thread::sleep(Duration::from_mins(1)),
            "abort" => std::process::abort(),
            "crash" => {
                // SAFETY: none: this write to an invalid address is the crash under test.
                unsafe { std::ptr::write_volatile(std::ptr::null_mut::<u8>().wrapping_add(8), 1) };
            }
            "panic" => panic!("main panics on purpose"),
            end => {
                if let Some(code) = end.strip_prefix("exit:") {
                    std::process::exit(code.parse().unwrap());
                }
                if let Some(seconds) = end.strip_prefix("exec:") {
                    let error = std::os::unix::process::CommandExt::exec(
                        Command::new("sleep").arg(seconds),
                    );
                    panic!("exec failed: {error}");
                }
                assert!(end == "return", "unknown ending {end}");
            }
        }
    }

    pub(crate) fn main() {
        log(&format!("program {}", std::process::id()));
        if let Ok(soft) = setting("ON_EXIT_NOFILE_SOFT").parse() {
            descriptor_limit(0, soft, None);
        }
        if let Ok(limit) = setting("ON_EXIT_NOFILE").parse::<libc::rlim_t>() {
            let limit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            // SAFETY: setrlimit reads one valid rlimit.
            let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, std::ptr::addr_of!(limit)) };
            assert_eq!(set, 0);
        }
        if setting("ON_EXIT_SIGCHLD") == "ignore" {
            // SAFETY: sets a disposition; no handler runs.
            unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
        }
        let mut children = spawn_all();
        let mut errors = Vec::new();
        for (index, child) in children.iter_mut().enumerate() {
            if let Err(error) = on_exit::kill_on_exit(child) {
                log(&format!("refused {}", child.id()));
                errors.push(error);
            }
            if index == 0 {
                if setting("ON_EXIT_NOFILE_SOFT").parse::<u64>().is_ok() {
                    descriptor_limit(0, libc::RLIM_INFINITY, None);
                }
                if let Ok(limit) = setting("ON_EXIT_GUARDIAN_NOFILE").parse() {
                    descriptor_limit(guardian(), limit, Some(limit));
                }
            }
        }
        for child in &mut children {
            if let Some(stdin) = child.stdin.take() {
                // A `reapedgroup`: it ends, and is reaped here; its `sleep` goes on.
                drop(stdin);
                child.wait().expect("sh ends");
                log(&format!("reaped {}", child.id()));
            }
        }
        for path in setting("ON_EXIT_REMOVE")
            .split(',')
            .filter(|path| !path.is_empty())
        {
            if let Err(error) = on_exit::remove_on_exit(path) {
                errors.push(error);
            }
            let absolute = std::env::current_dir().unwrap().join(path);
            WATCHED.lock().unwrap().1.push(absolute);
        }
        if let Ok(paths) = std::env::var("ON_EXIT_REFUSE") {
            try_each(&paths);
        }
        if std::env::var_os("ON_EXIT_LATER").is_some() {
            let mut later = spawn("plain");
            log(&format!("later {}", later.id()));
            if let Err(error) = on_exit::kill_on_exit(&mut later) {
                errors.push(error);
            }
            WATCHED.lock().unwrap().0.push(later.id());
            children.push(later);
        }
        match errors.first() {
            None => log("armed"),
            Some(error) => log(&format!("error {:?}: {error}", error.kind())),
        }
        if std::env::var_os("ON_EXIT_NOFILE_AFTER").is_some() {
            leave_one_descriptor();
        }
        if let Ok(path) = std::env::var("ON_EXIT_FORK") {
            // SAFETY: fork; the child only arms a path and kills itself.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                if let Err(error) = on_exit::remove_on_exit(path) {
                    log(&format!("error in the fork: {error}"));
                }
                // SAFETY: raise has no preconditions: the ending under test.
                unsafe { libc::raise(libc::SIGKILL) };
            }
            let mut status = 0;
            // SAFETY: waits for our own child into a valid int.
            unsafe { libc::waitpid(pid, std::ptr::addr_of_mut!(status), 0) };
            log(&format!("forked {pid}"));
        }
        if let Ok(directory) = std::env::var("ON_EXIT_CHDIR") {
            std::env::set_current_dir(directory).unwrap();
        }
        log("ready");
        end(&setting("ON_EXIT_END"));
        drop(children);
    }
}

#[cfg(unix)]
#[on_exit::on_exit(unix::handler)]
fn main() {
    unix::main();
}

#[cfg(not(unix))]
fn main() {
    eprintln!("guardian is a Unix program: see tests/guardian.rs");
    std::process::exit(2);
}
