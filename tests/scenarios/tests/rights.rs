//! The guardian acts with the rights the program had when it armed each path, and on the
//! object the program named then: after the program drops from root to another user, drops
//! capabilities, or moves into a `chroot`. These need root (CI runs as root, so does this
//! machine); without it each test says so loudly and passes.
#![cfg(target_os = "linux")]

mod support;

use std::fs;
use std::os::unix::fs::{chown, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{assert_gone_within, gone, send, Running, Scenario};

/// How long a test waits for the work after the program's death: the guardian's grace
/// period plus a margin of seconds.
const WITHIN: Duration = support::GUARDIAN_DEADLINE;
/// The user and group `nobody`.
const NOBODY: u32 = 65_534;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        eprintln!("!!! SKIPPED: this test needs root (CI runs it as root)");
    }
    root
}

/// A folder of the test's own, removed at the end.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let root =
            std::env::temp_dir().join(format!("on-exit-rights-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
        Folder(root)
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }

    /// A directory `relative` with `mode`, owned by `owner` (user, group), with a file `file`
    /// in it.
    fn directory(&self, relative: &str, mode: u32, owner: (u32, u32)) -> PathBuf {
        let directory = self.path(relative);
        fs::create_dir_all(&directory).unwrap();
        fs::write(directory.join("file"), "x").unwrap();
        chown(directory.join("file"), Some(owner.0), Some(owner.1)).unwrap();
        chown(&directory, Some(owner.0), Some(owner.1)).unwrap();
        fs::set_permissions(&directory, fs::Permissions::from_mode(mode)).unwrap();
        directory
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn start(steps: &[String], end: &str) -> Running {
    let mut scenario = Scenario::new(env!("CARGO_BIN_EXE_guardian_rights"))
        .env("ON_EXIT_STEPS", &steps.join(","))
        .env("ON_EXIT_END", end);
    scenario.command().stderr(Stdio::null());
    let mut running = scenario.spawn();
    running.wait_for("ready");
    let log = running.log();
    assert!(log.contains(&"armed".to_owned()), "{log:?}");
    running
}

/// `kill -9` of the program, at once: each call returned once the guardian had checked who
/// the program was (it answers each frame that comes with a descriptor).
fn kill(running: Running) {
    running.signal(libc::SIGKILL);
    running.finish().assert_killed_by(libc::SIGKILL);
}

/// Waits until every one of `paths` is gone.
fn assert_removed(paths: &[&Path]) {
    let start = Instant::now();
    while let Some(left) = paths.iter().find(|path| path.symlink_metadata().is_ok()) {
        assert!(start.elapsed() < WITHIN, "still there: {}", left.display());
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn arm(path: &Path) -> String {
    format!("arm:{}", path.display())
}

/// Armed as root: removed. Armed after the drop to `nobody` (groups: 4242 only): what
/// `nobody` may remove goes (its own directory, a file in a directory of group 4242), what it
/// may not stays (a root-only directory in `nobody`'s own, a file in a directory of group
/// 4243), though the guardian runs as root.
#[test]
fn after_dropping_root_the_guardian_has_only_the_programs_rights() {
    if !is_root() {
        return;
    }
    let folder = Folder::new("drop");
    let early = folder.directory("root-only", 0o700, (0, 0)).join("file");
    // `nobody`'s own directory: what is in it is for `nobody` to remove, but for a root-only
    // directory's contents.
    folder.directory("home", 0o755, (NOBODY, NOBODY));
    let root_only = folder.directory("home/x-root", 0o700, (0, 0));
    let mine = folder.directory("home/mine", 0o700, (NOBODY, NOBODY));
    let in_group = folder.directory("group", 0o770, (0, 4242)).join("file");
    let other_group = folder
        .directory("other-group", 0o770, (0, 4243))
        .join("file");
    let steps = [
        arm(&early),
        format!("drop:{NOBODY}:{NOBODY}:4242"),
        arm(&root_only),
        arm(&mine),
        arm(&in_group),
        arm(&other_group),
    ];
    kill(start(&steps, "wait"));
    // Newest first: once the first one armed is gone, the guardian has done all it will.
    assert_removed(&[&mine, &in_group, &early]);
    assert!(
        root_only.join("file").exists(),
        "the root-only directory was emptied"
    );
    assert!(other_group.exists(), "a file of another group was removed");
}

/// A child started as root and armed after the drop to `nobody` is one the program could no
/// longer signal: the guardian leaves it. One armed before the drop is stopped.
#[test]
fn after_dropping_root_the_guardian_signals_only_what_the_program_could() {
    if !is_root() {
        return;
    }
    let steps = ["spawn", "kill", "spawn", "drop:65534:65534", "kill"].map(str::to_owned);
    let running = start(&steps, "wait");
    let children: Vec<i32> = running
        .log()
        .iter()
        .filter_map(|line| line.strip_prefix("child ")?.parse().ok())
        .collect();
    kill(running);
    assert_gone_within(WITHIN, &children[..1]);
    std::thread::sleep(Duration::from_millis(1500)); // the guardian's grace period, and more
    let survived = !gone(children[1]);
    if survived {
        send(children[1], libc::SIGKILL);
    }
    assert!(
        survived,
        "the guardian stopped a child the program could not signal"
    );
}

/// Still user 0, but without the capabilities that let it ignore file permissions: a file in
/// another user's private directory stays; its own files go.
#[test]
fn without_file_capabilities_the_guardian_has_none_either() {
    if !is_root() {
        return;
    }
    let folder = Folder::new("caps");
    let own = folder.directory("root-only", 0o700, (0, 0)).join("file");
    let others = folder
        .directory("nobodys", 0o700, (NOBODY, NOBODY))
        .join("file");
    let steps = ["nocaps".to_owned(), arm(&others), arm(&own)];
    kill(start(&steps, "wait"));
    assert_removed(&[&own]);
    // The other one was armed first, so it was tried last: give it the same time.
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        others.exists(),
        "a file the program could not remove was removed"
    );
}

/// A path armed inside a `chroot` is the jail's: the guardian, outside it, removes the jail's
/// and leaves the same name at the real root alone.
#[test]
fn a_path_armed_in_a_chroot_is_removed_there_by_the_guardian() {
    if !is_root() {
        return;
    }
    let folder = Folder::new("chroot");
    let name = format!("on-exit-victim-{}", std::process::id());
    let jail = folder.path("jail");
    let in_jail = folder.directory(&format!("jail/{name}"), 0o755, (0, 0));
    let host = Folder(Path::new("/").join(&name));
    host.directory("", 0o755, (0, 0));
    // Something armed first, outside: the guardian starts from `/proc/self/exe`, which the
    // jail does not have.
    let started = folder.directory("started", 0o755, (0, 0));
    let steps = [
        arm(&started),
        format!("chroot:{}", jail.display()),
        format!("arm:/{name}"),
    ];
    kill(start(&steps, "wait"));
    assert_removed(&[&in_jail, &started]);
    assert!(
        host.0.join("file").exists(),
        "the real root's {name} was removed"
    );
}

/// The program's own removal uses the directory it held since the call too: a path armed
/// before a `chroot` is removed where it was, not under the jail's same name.
#[test]
fn a_path_armed_before_a_chroot_is_removed_where_it_was_by_the_program() {
    if !is_root() {
        return;
    }
    let folder = Folder::new("before-chroot");
    let outside = folder.directory("outside", 0o755, (0, 0));
    let jail = folder.path("jail");
    // The same path, as seen from inside the jail.
    let relative = outside.strip_prefix("/").unwrap();
    let same_name = jail.join(relative);
    fs::create_dir_all(&same_name).unwrap();
    fs::write(same_name.join("file"), "x").unwrap();
    let steps = [arm(&outside), format!("chroot:{}", jail.display())];
    let outcome = start(&steps, "return").finish();
    outcome.assert_code(0);
    assert!(!outside.exists(), "the armed path was not removed");
    assert!(
        same_name.join("file").exists(),
        "the jail's same-named path was removed"
    );
}
