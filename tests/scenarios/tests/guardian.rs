//! `kill_on_exit` and `remove_on_exit`, however the program ends: killed with `SIGKILL`, an
//! `abort`, a real crash, and the endings it sees. Each test checks that the armed children
//! (and their groups) are gone and the armed paths removed soon after the death (within the
//! guardian's grace period plus a margin of seconds), and that nothing else was touched: a
//! child that was not armed, the target of a link inside the removed tree, and paths of the
//! same names in the directory the program moved to.
#![cfg(target_os = "linux")]

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{
    assert_gone_soon, assert_gone_within, gone, guardian_of, send, Outcome, Running, Scenario,
};

/// How long a test waits for the work after the program's death: the guardian's grace
/// period plus a margin of seconds.
const WITHIN: Duration = support::GUARDIAN_DEADLINE;

/// A folder with a tree to remove (read-only files, a link to a file outside it, a link to a
/// folder outside it), a file to remove, and what must survive.
struct Fixture {
    root: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let root =
            std::env::temp_dir().join(format!("on-exit-guardian-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let tree = root.join("tree");
        fs::create_dir_all(tree.join("a/b")).unwrap();
        fs::create_dir_all(root.join("outside/folder")).unwrap();
        fs::write(root.join("outside/keep.txt"), "keep").unwrap();
        fs::write(root.join("outside/folder/keep.txt"), "keep").unwrap();
        for file in ["a/b/read-only.txt", "read-only.txt"] {
            fs::write(tree.join(file), "x").unwrap();
            fs::set_permissions(tree.join(file), fs::Permissions::from_mode(0o444)).unwrap();
        }
        std::os::unix::fs::symlink(root.join("outside/keep.txt"), tree.join("a/link")).unwrap();
        std::os::unix::fs::symlink(root.join("outside/folder"), tree.join("folder-link")).unwrap();
        fs::write(root.join("file.txt"), "x").unwrap();
        // The program moves here after arming: the same names, which must survive.
        fs::create_dir_all(root.join("elsewhere/tree")).unwrap();
        fs::write(root.join("elsewhere/file.txt"), "x").unwrap();
        Fixture { root }
    }

    fn armed_paths_left(&self) -> Vec<PathBuf> {
        [self.root.join("tree"), self.root.join("file.txt")]
            .into_iter()
            .filter(|path| path.symlink_metadata().is_ok())
            .collect()
    }

    fn assert_rest_untouched(&self) {
        for kept in ["outside/keep.txt", "outside/folder/keep.txt"] {
            assert_eq!(
                fs::read_to_string(self.root.join(kept)).unwrap(),
                "keep",
                "{kept}"
            );
        }
        assert!(self.root.join("elsewhere/tree").is_dir());
        assert!(self.root.join("elsewhere/file.txt").is_file());
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// The program, its armed processes (children and grandchildren) and its spare ones.
struct Program {
    running: Running,
    armed: Vec<i32>,
    spare: Vec<i32>,
}

fn pids(log: &[String], prefixes: &[&str]) -> Vec<i32> {
    log.iter()
        .filter_map(|line| {
            let (word, pid) = line.split_once(' ')?;
            prefixes.contains(&word).then(|| pid.parse().unwrap())
        })
        .collect()
}

/// Starts the program with `children` armed, and the fixture's tree and file (relative to
/// its root, then the program moves to `elsewhere`), ending as `end` says.
fn start(fixture: &Fixture, children: &str, end: &str) -> Program {
    start_with(fixture, children, end, |scenario| scenario)
}

fn start_with(
    fixture: &Fixture,
    children: &str,
    end: &str,
    more: impl FnOnce(Scenario) -> Scenario,
) -> Program {
    let mut scenario = Scenario::new(env!("CARGO_BIN_EXE_guardian"))
        .env("ON_EXIT_CHILDREN", children)
        .env("ON_EXIT_REMOVE", "tree,file.txt")
        .env(
            "ON_EXIT_CHDIR",
            fixture.root.join("elsewhere").to_str().unwrap(),
        )
        .env("ON_EXIT_END", end);
    // The children inherit stderr: a pipe to this test would stay open as long as they run.
    scenario
        .command()
        .current_dir(&fixture.root)
        .stderr(Stdio::null());
    let mut running = more(scenario).spawn();
    running.wait_for("ready");
    let log = running.log();
    assert!(log.contains(&"armed".to_owned()), "{log:?}");
    Program {
        armed: pids(&log, &["child", "grandchild", "later"]),
        spare: pids(&log, &["spare"]),
        running,
    }
}

impl Program {
    /// Waits for the end, then for the guardian's work; checks what survived.
    fn finish(self, fixture: &Fixture) -> Outcome {
        let outcome = self.running.finish();
        let died = Instant::now();
        assert_gone_within(WITHIN.saturating_sub(died.elapsed()), &self.armed);
        while !fixture.armed_paths_left().is_empty() {
            assert!(
                died.elapsed() < WITHIN,
                "still there: {:?}",
                fixture.armed_paths_left()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        fixture.assert_rest_untouched();
        for spare in &self.spare {
            assert!(!gone(*spare), "the spare child {spare} was touched");
            send(*spare, libc::SIGKILL);
        }
        outcome
    }
}

const MIXED: &str = "plain,deaf,group,deafgroup,spare";

#[test]
fn sigkill_of_the_program_stops_its_children_and_removes_its_paths() {
    let fixture = Fixture::new("sigkill");
    let program = start(&fixture, MIXED, "wait");
    program.running.signal(libc::SIGKILL);
    let outcome = program.finish(&fixture);
    outcome.assert_killed_by(libc::SIGKILL);
}

#[test]
fn abort_and_a_crash_stop_the_children_and_remove_the_paths() {
    for (end, signal) in [("abort", libc::SIGABRT), ("crash", libc::SIGSEGV)] {
        let fixture = Fixture::new(end);
        let outcome = start(&fixture, MIXED, end).finish(&fixture);
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&outcome.status),
            Some(signal),
            "{end}: {outcome:#?}"
        );
    }
}

#[test]
fn many_children_all_go() {
    let fixture = Fixture::new("many");
    let program = start(&fixture, "40*plain,10*deaf,5*group", "wait");
    assert_eq!(program.armed.len(), 60);
    program.running.signal(libc::SIGKILL);
    program.finish(&fixture);
}

/// On the endings the program sees, the registered cleanups do the work, before the
/// attribute's handler (which logs what it still finds).
#[test]
fn endings_the_program_sees_do_the_work_before_the_handler() {
    for (end, signal) in [
        ("return", None),
        ("exit:3", None),
        ("panic", None),
        ("wait", Some(libc::SIGTERM)),
    ] {
        let fixture = Fixture::new("seen");
        let program = start(&fixture, MIXED, end);
        if let Some(signal) = signal {
            program.running.signal(signal);
        }
        let outcome = program.finish(&fixture);
        let handler: Vec<_> = outcome
            .log
            .iter()
            .filter(|line| line.starts_with("handler"))
            .collect();
        assert_eq!(
            handler,
            ["handler: 0 alive", "handler: 0 left"],
            "{end}: {outcome:#?}"
        );
        match (end, signal) {
            (_, Some(signal)) => outcome.assert_killed_by(signal),
            ("exit:3", _) => outcome.assert_code(3),
            ("panic", _) => outcome.assert_code(101),
            _ => outcome.assert_code(0),
        }
    }
}

#[test]
fn a_child_that_already_ended_is_not_an_error() {
    let fixture = Fixture::new("ended");
    let mut program = start(&fixture, "reaped,zombie,reaped", "return");
    // `start` saw `armed`: the calls returned `Ok`. Their numbers may be another's by now.
    program.armed.clear();
    program.finish(&fixture).assert_code(0);
}

fn descriptors(pid: i32) -> Vec<(String, String)> {
    let mut found: Vec<_> = fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .map(|entry| {
            let target = fs::read_link(entry.path()).unwrap_or_default();
            (
                entry.file_name().to_string_lossy().into_owned(),
                target.to_string_lossy().into_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

fn parent_of(pid: i32) -> i32 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = stat.rsplit_once(')').unwrap().1;
    rest.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The guardian is not the program's child (never its zombie), holds only its channel, the
/// program's pidfd, `/dev/null` and a descriptor for each item armed, gives a child started
/// later nothing, and ends with the program.
#[test]
fn the_guardian_holds_nothing_of_the_program_and_ends_with_it() {
    let fixture = Fixture::new("hygiene");
    let program = start_with(&fixture, "plain", "wait", |scenario| {
        scenario.env("ON_EXIT_LATER", "1")
    });
    let guardian = guardian_of(program.running.pid()).expect("a guardian runs");
    assert_ne!(parent_of(guardian), program.running.pid());
    // The guardian reads what was sent in its own time: wait until it holds all of it.
    let start = Instant::now();
    while descriptors(guardian).len() < 8 && start.elapsed() < WITHIN {
        std::thread::sleep(Duration::from_millis(2));
    }
    let held: Vec<_> = descriptors(guardian)
        .into_iter()
        .map(|(fd, target)| {
            let kind = if target.starts_with("socket:") {
                "socket"
            } else if Path::new(&target) == fixture.root {
                "root"
            } else {
                target.as_str()
            };
            format!("{fd} {kind}")
        })
        .collect();
    assert_eq!(
        held,
        [
            "0 socket",
            "1 /dev/null",
            "2 /dev/null",
            "3 anon_inode:[pidfd]",
            "4 anon_inode:[pidfd]",
            "5 root",
            "6 root",
            "7 anon_inode:[pidfd]",
        ],
        "the program's pidfd, then in the order armed: the plain child's pidfd, the directory \
         that holds each armed path (`tree` and `file.txt`), the later child's pidfd"
    );
    let later = pids(&program.running.log(), &["later"])[0];
    // (It may inherit what the test harness leaks, such as cargo's jobserver pipe.)
    let ours: Vec<_> = descriptors(later)
        .into_iter()
        .filter(|(_, target)| target.starts_with("socket:") || target.contains("pidfd"))
        .collect();
    assert!(ours.is_empty(), "the later child inherited {ours:?}");
    // A normal end: the guardian has nothing left to do, and goes.
    program.running.signal(libc::SIGTERM);
    program.finish(&fixture);
    assert_gone_soon(&[guardian]);
}

#[test]
fn a_guardian_that_cannot_start_is_an_error_and_nothing_else_breaks() {
    let fixture = Fixture::new("no-guardian");
    let mut scenario = Scenario::new(env!("CARGO_BIN_EXE_guardian"))
        .env("ON_EXIT_REMOVE", "tree")
        .env("ON_EXIT_NOFILE", "4")
        .env("ON_EXIT_END", "return");
    scenario.command().current_dir(&fixture.root);
    let outcome = scenario.run();
    outcome.assert_code(0);
    let error = outcome
        .log
        .iter()
        .find(|line| line.starts_with("error"))
        .expect("an error");
    assert!(
        error.contains("guardian") && error.contains("Too many open files"),
        "{error}"
    );
    // Nothing was armed: the tree stays; the attribute's handler still ran.
    assert!(Path::new(&fixture.root.join("tree")).is_dir());
    assert!(
        outcome.log.contains(&"handler: 1 left".to_owned()),
        "{outcome:#?}"
    );
}

/// What a forked child arms is its own: its own guardian removes its path when it is killed,
/// and it does not touch what its parent armed, which the parent's guardian handles when the
/// parent is killed in turn.
#[test]
fn a_forked_child_has_a_guardian_of_its_own_and_leaves_its_parents_alone() {
    let fixture = Fixture::new("fork");
    let forked_path = fixture.root.join("forked");
    fs::create_dir_all(forked_path.join("inside")).unwrap();
    let program = start_with(&fixture, "plain,deaf", "wait", |scenario| {
        scenario.env("ON_EXIT_FORK", forked_path.to_str().unwrap())
    });
    let log = program.running.log();
    assert!(
        log.iter().any(|line| line.starts_with("forked ")),
        "{log:?}"
    );
    let start = Instant::now();
    while forked_path.exists() {
        assert!(
            start.elapsed() < WITHIN,
            "the forked child's path is still there"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        fixture.armed_paths_left().len() == 2,
        "the fork removed its parent's paths"
    );
    assert!(
        program.armed.iter().all(|pid| !gone(*pid)),
        "the fork stopped its parent's children"
    );
    program.running.signal(libc::SIGKILL);
    program.finish(&fixture).assert_killed_by(libc::SIGKILL);
}

/// Without the attribute: a normal end reaches the cleanups through `exit`, and `kill -9`
/// leaves the work to the guardian, as with it.
#[test]
fn without_the_attribute_too() {
    for end in ["return", "wait"] {
        let fixture = Fixture::new(&format!("plain-{end}"));
        let tree = fixture.root.join("tree");
        let mut scenario = Scenario::new(env!("CARGO_BIN_EXE_guardian_plain"))
            .env("ON_EXIT_REMOVE", tree.to_str().unwrap())
            .env("ON_EXIT_END", end);
        scenario.command().stderr(Stdio::null());
        let mut running = scenario.spawn();
        running.wait_for("ready");
        let child = pids(&running.log(), &["child"]);
        if end == "wait" {
            running.signal(libc::SIGKILL);
        }
        let outcome = running.finish();
        let died = Instant::now();
        match end {
            "wait" => outcome.assert_killed_by(libc::SIGKILL),
            _ => outcome.assert_code(0),
        }
        assert_gone_within(WITHIN.saturating_sub(died.elapsed()), &child);
        while tree.exists() {
            assert!(died.elapsed() < WITHIN, "{end}: the tree is still there");
            std::thread::sleep(Duration::from_millis(2));
        }
        fixture.assert_rest_untouched();
    }
}

/// With `SIGCHLD` ignored the kernel reaps the children itself, yet a running child is still
/// one `waitid` sees: it is armed, and stopped.
#[test]
fn sigchld_ignored_changes_nothing() {
    let fixture = Fixture::new("sigchld");
    let program = start_with(&fixture, MIXED, "wait", |scenario| {
        scenario.env("ON_EXIT_SIGCHLD", "ignore")
    });
    program.running.signal(libc::SIGKILL);
    program.finish(&fixture).assert_killed_by(libc::SIGKILL);
}

/// `exec` is not death: the process goes on as another program (a launcher handing over), its
/// channel to the guardian closed (close-on-exec). What it armed stays armed until the process
/// ends, by itself or by `kill -9` of the new image.
#[test]
fn exec_is_not_death() {
    for (seconds, kill) in [("3", false), ("1000", true)] {
        let fixture = Fixture::new(&format!("exec-{seconds}"));
        let program = start(&fixture, "plain,deaf", &format!("exec:{seconds}"));
        // Long enough for a guardian that took the closed channel for the end to have acted.
        std::thread::sleep(Duration::from_millis(1500));
        assert!(
            program.armed.iter().all(|pid| !gone(*pid)),
            "a child was stopped while the process still runs"
        );
        assert_eq!(
            fixture.armed_paths_left().len(),
            2,
            "a path was removed while the process still runs"
        );
        if kill {
            program.running.signal(libc::SIGKILL);
            program.finish(&fixture).assert_killed_by(libc::SIGKILL);
        } else {
            program.finish(&fixture).assert_code(0);
        }
    }
}

/// The guardian has a name of its own (`comm` and `argv[0]`), so that `pkill NAME` of the
/// program does not match it, and ignores `SIGTERM`, `SIGINT` and `SIGHUP` (systemd's stop
/// sends `SIGTERM` to every process of the unit): after all three, a `kill -9` of the program
/// still finds it there to do its work.
#[test]
fn the_guardian_has_its_own_name_and_outlives_the_signals_meant_for_the_program() {
    let fixture = Fixture::new("signals");
    let program = start(&fixture, "deaf,group", "wait");
    let guardian = guardian_of(program.running.pid()).expect("a guardian runs");
    let comm = fs::read_to_string(format!("/proc/{guardian}/comm")).unwrap();
    assert_eq!(comm, "on-exit-guard\n");
    let cmdline = fs::read(format!("/proc/{guardian}/cmdline")).unwrap();
    assert_eq!(cmdline, b"on-exit-guard\0");
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        send(guardian, signal);
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(!gone(guardian), "a signal ended the guardian");
    program.running.signal(libc::SIGKILL);
    program.finish(&fixture).assert_killed_by(libc::SIGKILL);
}
