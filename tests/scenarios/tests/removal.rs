//! `remove_on_exit`'s removals, for real: what it refuses (and that nothing is removed, by the
//! program or by its guardian after `kill -9`), a tree deeper than the descriptor limit,
//! children stopped before their paths go, and a removal that failed in the program done by
//! the guardian after it.
#![cfg(target_os = "linux")]

mod support;

use std::fs;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{Outcome, Scenario};

/// How long a test waits for the work after the program's death: the guardian's grace
/// period plus a margin of seconds.
const WITHIN: Duration = support::GUARDIAN_DEADLINE;

/// A folder of its own for each test, removed at the end.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let root =
            std::env::temp_dir().join(format!("on-exit-removal-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        Folder(root)
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }

    /// Creates `relative` as a folder holding a file `canary`.
    fn canary(&self, relative: &str) -> PathBuf {
        let folder = self.path(relative);
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join("canary"), "x").unwrap();
        folder.join("canary")
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The program with `settings`, in `directory`; `end` as `ON_EXIT_END` says, or `kill` (it
/// waits and is killed with `SIGKILL` once ready).
fn run(directory: &Path, settings: &[(&str, &str)], end: &str) -> Outcome {
    let mut scenario = Scenario::new(env!("CARGO_BIN_EXE_guardian"))
        .env("ON_EXIT_END", if end == "kill" { "wait" } else { end });
    for (key, value) in settings {
        scenario = scenario.env(key, value);
    }
    scenario
        .command()
        .current_dir(directory)
        .stderr(Stdio::null());
    let mut running = scenario.spawn();
    running.wait_for("ready");
    if end == "kill" {
        running.signal(libc::SIGKILL);
    }
    running.finish()
}

/// The line the program logged for `path`: `ok` or the error's kind.
fn answer<'a>(outcome: &'a Outcome, path: &str) -> &'a str {
    let prefix = format!("remove {path:?}: ");
    outcome
        .log
        .iter()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no answer for {path:?}: {outcome:#?}"))
}

/// Waits up to [`WITHIN`] for `paths` to be gone.
fn assert_removed_soon(paths: &[PathBuf]) {
    let start = Instant::now();
    while let Some(left) = paths.iter().find(|path| path.symlink_metadata().is_ok()) {
        assert!(start.elapsed() < WITHIN, "still there: {}", left.display());
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The empty path, `.` and `..` endings, the home directory (by any name) are refused with
/// `InvalidInput` and arm nothing: after the program's own ending and after `kill -9` (its
/// guardian running, for the path it did arm), every one of them is intact. A link named with
/// a trailing `/` is armed, and only the link goes.
#[test]
fn what_rm_refuses_is_refused_and_nothing_is_removed() {
    for end in ["return", "kill"] {
        let folder = Folder::new(&format!("refuse-{end}"));
        let canaries = [
            folder.canary("."),
            folder.canary("work"),
            folder.canary("work/inner"),
            folder.canary("home"),
            folder.canary("pointed-at"),
        ];
        let home = folder.path("home");
        std::os::unix::fs::symlink(folder.path("pointed-at"), folder.path("link")).unwrap();
        fs::write(folder.path("armed.txt"), "x").unwrap();
        let home_text = home.to_str().unwrap();
        let refused = [
            String::new(),
            ".".into(),
            "..".into(),
            "./".into(),
            "..//".into(),
            "../inner/.".into(),
            "../../work/..".into(),
            home_text.into(),
            format!("{home_text}/"),
            format!("{home_text}/."),
            format!("{home_text}//../home"),
            "../../home".into(),
        ];
        let accepted = ["../../armed.txt", "../../link/"];
        let inputs: Vec<&str> = refused.iter().map(String::as_str).chain(accepted).collect();
        let outcome = run(
            &folder.path("work/inner"),
            &[("ON_EXIT_REFUSE", &inputs.join("|")), ("HOME", home_text)],
            end,
        );
        for path in &refused {
            assert_eq!(answer(&outcome, path), "InvalidInput", "{end}: {path:?}");
        }
        for path in accepted {
            assert_eq!(answer(&outcome, path), "ok", "{end}: {path:?}");
        }
        // The accepted ones go (the link, not what it points to): the guardian was there.
        assert_removed_soon(&[folder.path("armed.txt"), folder.path("link")]);
        // Give a guardian that would remove more its time, then look.
        std::thread::sleep(Duration::from_millis(300));
        for canary in &canaries {
            assert!(canary.exists(), "{end}: {} was removed", canary.display());
        }
    }
}

/// The home directory of the account (`/root` here) when `$HOME` says otherwise, and the
/// filesystem root under several names, are refused. Run with no descriptor to spare, so that
/// no guardian can start: on a build that accepted them, the call fails for that reason instead
/// and nothing is armed either (this test must never remove `/`).
#[test]
fn the_root_and_the_accounts_home_are_refused() {
    let folder = Folder::new("root");
    // SAFETY: getpwuid returns null or an entry valid until the next call on this thread.
    let account_home = unsafe {
        let entry = libc::getpwuid(libc::getuid());
        assert!(!entry.is_null(), "the user has an entry");
        std::ffi::CStr::from_ptr((*entry).pw_dir)
            .to_str()
            .unwrap()
            .to_owned()
    };
    let refused = [
        "/",
        "//",
        "/..",
        "/.",
        "/tmp/..",
        account_home.as_str(),
        &format!("{account_home}/"),
    ];
    let outcome = run(
        &folder.0,
        &[
            ("ON_EXIT_REFUSE", &refused.join("|")),
            ("ON_EXIT_NOFILE", "4"),
            ("HOME", folder.0.to_str().unwrap()),
        ],
        "return",
    );
    for path in refused {
        assert_eq!(answer(&outcome, path), "InvalidInput", "{path:?}");
    }
}

/// A tree 1,100 levels deep, with the descriptor limit at 1,024 (soft and hard): the program
/// removes it on its own ending, and its guardian after `kill -9`.
#[test]
fn a_tree_deeper_than_the_descriptor_limit_goes() {
    for end in ["return", "kill"] {
        let folder = Folder::new(&format!("deep-{end}"));
        let mut deepest = folder.path("deep");
        for _ in 0..1_100 {
            deepest.push("d");
        }
        fs::create_dir_all(&deepest).unwrap();
        fs::write(deepest.join("file"), "x").unwrap();
        let mut scenario = Scenario::new(env!("CARGO_BIN_EXE_guardian"))
            .env("ON_EXIT_REMOVE", "deep")
            .env("ON_EXIT_END", if end == "kill" { "wait" } else { end })
            .rlimit(libc::RLIMIT_NOFILE, 1024, 1024);
        let command = scenario.command();
        command.current_dir(&folder.0).stderr(Stdio::null());
        let mut running = scenario.spawn();
        running.wait_for("ready");
        assert!(running.log().contains(&"armed".to_owned()));
        if end == "kill" {
            running.signal(libc::SIGKILL);
        }
        let outcome = running.finish();
        if end == "return" {
            assert!(
                outcome.log.contains(&"handler: 0 left".to_owned()),
                "the program's own removal left it: {outcome:#?}"
            );
        }
        assert_removed_soon(&[folder.path("deep")]);
    }
}

/// The README's pattern: a child armed, then its scratch directory. On the program's own
/// ending the child is stopped (it writes into the directory as it ends) before the directory
/// is removed, so nothing is left; with `kill -9`, the guardian does the same.
#[test]
fn children_are_stopped_before_their_paths_are_removed() {
    for end in ["return", "exit:3", "kill"] {
        let folder = Folder::new(&format!("order-{}", end.replace(':', "-")));
        folder.canary("tree");
        let outcome = run(
            &folder.0,
            &[("ON_EXIT_CHILDREN", "flusher"), ("ON_EXIT_REMOVE", "tree")],
            end,
        );
        assert!(outcome.log.contains(&"armed".to_owned()), "{outcome:#?}");
        if end != "kill" {
            assert!(
                outcome.log.contains(&"handler: 0 left".to_owned()),
                "{end}: {outcome:#?}"
            );
        }
        assert_removed_soon(&[folder.path("tree")]);
    }
}

/// A path the program could not remove on its own ending (here: no descriptor left to open
/// it) stays armed: the guardian removes it once the program has ended.
#[test]
fn a_removal_that_failed_in_the_program_is_done_by_the_guardian() {
    let folder = Folder::new("retry");
    folder.canary("tree/a/b");
    let outcome = run(
        &folder.0,
        &[("ON_EXIT_REMOVE", "tree"), ("ON_EXIT_NOFILE_AFTER", "1")],
        "return",
    );
    outcome.assert_code(0);
    assert!(
        outcome.log.contains(&"handler: 1 left".to_owned()),
        "the program's own removal was meant to fail: {outcome:#?}"
    );
    assert_removed_soon(&[folder.path("tree")]);
}

/// Read-only directories (no write bit, and neither read nor search bits) and files in the
/// tree do not stop the removal, for a user to whom permissions apply (not root): the program
/// runs as `nobody`, and removes the tree on its own ending and through its guardian after
/// `kill -9`.
#[test]
fn read_only_directories_do_not_stop_it() {
    const NOBODY: u32 = 65_534;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: cannot run the program as another user; skipped");
        return;
    }
    if !support::others_may_run(Path::new(env!("CARGO_BIN_EXE_guardian"))) {
        eprintln!("!!! SKIPPED: the program is in a folder other users may not enter");
        return;
    }
    for end in ["return", "kill"] {
        let folder = Folder::new(&format!("read-only-{end}"));
        folder.canary("tree/closed/inner");
        folder.canary("tree/read-only/inner");
        let mut modes = Vec::new();
        for (relative, mode) in [
            ("tree/closed/inner/canary", 0o444),
            ("tree/closed/inner", 0o500),
            ("tree/closed", 0o000),
            ("tree/read-only/inner", 0o000),
            ("tree/read-only", 0o500),
            ("tree", 0o500),
        ] {
            modes.push((folder.path(relative), mode));
        }
        let owned = std::process::Command::new("chown")
            .args(["-R", &format!("{NOBODY}:{NOBODY}")])
            .arg(&folder.0)
            .status()
            .unwrap();
        assert!(owned.success());
        for (path, mode) in &modes {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(path, fs::Permissions::from_mode(*mode)).unwrap();
        }
        let mut scenario = Scenario::new(env!("CARGO_BIN_EXE_guardian"))
            .env("ON_EXIT_REMOVE", "tree")
            .env("ON_EXIT_END", if end == "kill" { "wait" } else { end });
        let command = scenario.command();
        command.current_dir(&folder.0).uid(NOBODY).gid(NOBODY);
        let mut running = scenario.spawn();
        running.wait_for("ready");
        assert!(
            running.log().contains(&"armed".to_owned()),
            "{:?}",
            running.log()
        );
        if end == "kill" {
            running.signal(libc::SIGKILL);
        }
        let outcome = running.finish();
        if end == "return" {
            assert!(
                outcome.log.contains(&"handler: 0 left".to_owned()),
                "the program's own removal left it: {outcome:#?}"
            );
        }
        assert_removed_soon(&[folder.path("tree")]);
    }
}

/// A file system mounted inside an armed tree (here a bind of another folder, as a bind of
/// `/` or of a home would be) is another tree: neither the program nor its guardian after
/// `kill -9` goes into it. As root, in a mount namespace of the program's own.
#[test]
fn a_mount_inside_the_tree_is_left_alone() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("!!! SKIPPED: a mount namespace needs root");
        return;
    }
    for end in ["return", "kill"] {
        let folder = Folder::new(&format!("mount-{end}"));
        let canary = folder.canary("elsewhere");
        fs::create_dir_all(folder.path("tree/mounted")).unwrap();
        fs::write(folder.path("tree/file"), "x").unwrap();
        let source = std::ffi::CString::new(
            folder
                .path("elsewhere")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        let target = std::ffi::CString::new(
            folder
                .path("tree/mounted")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        let mut scenario = Scenario::new(env!("CARGO_BIN_EXE_guardian"))
            .env("ON_EXIT_REMOVE", "tree")
            .env("ON_EXIT_END", if end == "kill" { "wait" } else { end });
        let command = scenario.command();
        command.current_dir(&folder.0).stderr(Stdio::null());
        // SAFETY: unshare and mount are system calls on the child alone, with C strings made
        // before the fork; nothing is allocated here.
        unsafe {
            command.pre_exec(move || {
                let private = libc::MS_REC | libc::MS_PRIVATE;
                if libc::unshare(libc::CLONE_NEWNS) != 0
                    || libc::mount(
                        c"none".as_ptr(),
                        c"/".as_ptr(),
                        std::ptr::null(),
                        private,
                        std::ptr::null(),
                    ) != 0
                    || libc::mount(
                        source.as_ptr(),
                        target.as_ptr(),
                        std::ptr::null(),
                        libc::MS_BIND,
                        std::ptr::null(),
                    ) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut running = scenario.spawn();
        running.wait_for("ready");
        if end == "kill" {
            running.signal(libc::SIGKILL);
        }
        drop(running.finish());
        // Time for the guardian to have acted, and for the program's own ending.
        std::thread::sleep(WITHIN);
        assert!(
            canary.exists(),
            "the bound folder was emptied through the tree ({end})"
        );
    }
}
