//! `remove_on_exit` on Windows, under wine: what it refuses (nothing is removed, by the program
//! or by its guardian after `TerminateProcess`), children stopped before their paths go, and
//! a directory the program could not remove (its own working directory) removed by the
//! guardian once the program has ended. Ignored by `cargo test`; `bash .ci/windows` runs these.
//!
//! The refusals of `\`, `/` and drive roots are tried on a drive of their own: the test maps a
//! letter to a folder of its own (a link in the wine prefix's `dosdevices`), so that a build
//! that accepted them would empty that folder, never a real drive.
//!
//! What wine cannot show: symbolic links and junctions (wine 8's `symlink_dir` returns `Ok`
//! and creates nothing), and a console closing (see `tests/wine.rs`).
#![cfg(target_os = "linux")]

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::{Outcome, Scenario};

/// How long a test waits for the work after the program's death: the guardian's grace
/// period plus a margin of seconds.
const WITHIN: Duration = support::GUARDIAN_DEADLINE;

/// A folder of its own for each test, removed at the end (with its drive letter, if any).
struct Folder {
    root: PathBuf,
    drive: Option<PathBuf>,
}

impl Folder {
    fn new(name: &str) -> Folder {
        let root = std::env::temp_dir().join(format!(
            "on-exit-wine-removal-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        Folder { root, drive: None }
    }

    /// Maps drive `letter` to this folder in the wine prefix.
    fn as_drive(&mut self, letter: char) {
        let prefix = std::env::var_os("WINEPREFIX").expect("WINEPREFIX is set: run .ci/windows");
        let link = Path::new(&prefix)
            .join("dosdevices")
            .join(format!("{letter}:"));
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&self.root, &link).unwrap();
        self.drive = Some(link);
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// As a Windows program names it (wine maps `/` to drive `Z:`).
    fn windows(&self, relative: &str) -> String {
        format!("Z:{}", self.path(relative).display()).replace('/', "\\")
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
        if let Some(drive) = &self.drive {
            let _ = fs::remove_file(drive);
        }
        let _ = fs::remove_dir_all(&self.root);
    }
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
fn assert_removed_soon(paths: &[PathBuf], what: &str) {
    let start = Instant::now();
    while let Some(left) = paths.iter().find(|path| path.exists()) {
        assert!(
            start.elapsed() < WITHIN,
            "{what}: still there: {}",
            left.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The empty path, `.` and `..` endings, `\` and `/` (the current drive's root), a drive root
/// (`R:\`, `R:`, `r:/`), the profile directory (`%USERPROFILE%`, by any spelling) and
/// `%HOME%` (in another case of its non-ASCII letters, or by its 8.3 short name), and any of
/// them with the trailing spaces or dots that Win32 strips (`R:\ `, `profile.`) are
/// refused with `InvalidInput` and arm nothing: after `main` returns and after
/// `TerminateProcess` (the guardian running, for the file it did arm), all of them are intact.
#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn what_rm_refuses_is_refused_and_nothing_is_removed() {
    for (end, code) in [("return", 0), ("terminate", 9)] {
        let mut folder = Folder::new(&format!("refuse-{end}"));
        folder.as_drive('r');
        let canaries = [
            folder.canary("."),
            folder.canary("work"),
            folder.canary("work/inner"),
            folder.canary("profile"),
            folder.canary("Home Of Nämé"),
        ];
        fs::write(folder.path("armed.txt"), "x").unwrap();
        let profile = r"R:\profile";
        let home = r"R:\Home Of Nämé";
        let refused = [
            "",
            ".",
            "..",
            r".\",
            r"..\\",
            r"..\inner\.",
            "../inner/..",
            r"\",
            "/",
            r"R:\",
            "R:",
            "R:.",
            "r:/",
            r"R:\work\..",
            profile,
            r"R:\profile\",
            r"r:\PROFILE",
            r"R:\work\..\profile",
            // What Win32 strips (trailing spaces and dots) is seen before it is stripped.
            r"R:\ ",
            r"\ ",
            "/ ",
            r"R:\...",
            r"R:\. ",
            " ",
            ". ",
            r"..\ ",
            r"R:\work\..\work ",
            r"R:\profile.",
            r"R:\profile ",
            r"R:\profile\. ",
            r"R:\HOME OF NÄMÉ",
            r"r:\home of nÄmé\",
        ];
        let accepted = [r"R:\armed.txt"];
        let inputs: Vec<&str> = refused.iter().copied().chain(accepted).collect();
        let outcome = Scenario::wine("guardian_wine")
            .env("ON_EXIT_CWD", r"R:\work\inner")
            .env("ON_EXIT_USERPROFILE", profile)
            .env("ON_EXIT_HOME", home)
            .env("ON_EXIT_REFUSE", &inputs.join("|"))
            .env("ON_EXIT_REFUSE_SHORT", home)
            .env("ON_EXIT_END", end)
            .run();
        outcome.assert_windows_code(code);
        for path in refused {
            assert_eq!(answer(&outcome, path), "InvalidInput", "{end}: {path:?}");
        }
        let short = format!("remove short of {home:?} (");
        let line = outcome.log.iter().find(|line| line.starts_with(&short));
        let line = line.unwrap_or_else(|| panic!("no short name tried: {outcome:#?}"));
        assert!(
            line.ends_with("): InvalidInput") && !line.contains(&format!("({home})")),
            "{end}: {line}"
        );
        assert_eq!(answer(&outcome, accepted[0]), "ok", "{end}");
        assert_removed_soon(&[folder.path("armed.txt")], end);
        // Give a guardian that would remove more its time, then look.
        std::thread::sleep(Duration::from_millis(300));
        for canary in &canaries {
            assert!(canary.exists(), "{end}: {} was removed", canary.display());
        }
    }
}

/// The README's pattern: a child armed with `kill_on_exit` (in a job, with a grandchild),
/// working in a scratch directory armed after it (its working directory, and a file open that
/// no one may delete). When `main` returns, the child is stopped before the directory is
/// removed, so the program removes it itself; after `TerminateProcess` and `ExitProcess` the
/// guardian does, once the job has ended the children.
#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn children_are_stopped_before_their_paths_are_removed() {
    for (end, code) in [("return", 0), ("terminate", 9), ("exit:3", 3)] {
        let folder = Folder::new(&format!("order-{}", end.replace(':', "-")));
        fs::create_dir_all(folder.path("alive")).unwrap();
        folder.canary("scratch");
        let scratch = folder.windows("scratch");
        let outcome = Scenario::wine("guardian_wine")
            .env("ON_EXIT_ALIVE", &folder.windows("alive"))
            .env("ON_EXIT_CHILDREN", "1")
            .env("ON_EXIT_CHILD_DIR", &scratch)
            .env("ON_EXIT_REMOVE", &scratch)
            .env("ON_EXIT_END", end)
            .run();
        assert!(
            outcome.log.contains(&"armed".to_owned()),
            "{end}: {outcome:#?}"
        );
        outcome.assert_windows_code(code);
        if end == "return" {
            assert!(
                outcome.log.contains(&"handler: 0 left".to_owned()),
                "{end}: the program did not remove the scratch directory: {outcome:#?}"
            );
        }
        assert_removed_soon(&[folder.path("scratch")], end);
    }
}

/// The program works in the directory it armed, so it cannot remove it itself (Windows keeps
/// a process's working directory): the path stays armed, and the guardian, which does not
/// hold the program's working directory, removes it once the program has ended. Also when
/// the program has no `SystemRoot` in its environment (the guardian asks the system where
/// the Windows folder is).
#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn the_programs_working_directory_is_removed_by_the_guardian() {
    for (end, code, no_system_root) in [
        ("return", 0, false),
        ("terminate", 9, false),
        ("return", 0, true),
        ("terminate", 9, true),
    ] {
        let folder = Folder::new(&format!("cwd-{end}-{no_system_root}"));
        folder.canary("work/sub");
        let work = folder.windows("work");
        let mut scenario = Scenario::wine("guardian_wine")
            .env("ON_EXIT_CWD", &work)
            .env("ON_EXIT_REMOVE", &work)
            .env("ON_EXIT_END", end);
        if no_system_root {
            scenario = scenario.env("ON_EXIT_NO_SYSTEMROOT", "1");
        }
        let outcome = scenario.run();
        assert!(
            outcome.log.contains(&"armed".to_owned()),
            "{end}: {outcome:#?}"
        );
        outcome.assert_windows_code(code);
        assert_removed_soon(&[folder.path("work")], end);
    }
}

/// A cleanup that calls `std::process::exit` while other threads arm paths, make and drop
/// scoped guards, register cleanups, or write to stderr: Windows' `ExitProcess` ends them at
/// once, maybe holding on-exit's locks or stderr's. The ending never waits for those: the
/// process ends with the cleanup's code, and the armed path goes (the guardian removes it
/// when the program could not: with `eprint`, the path is the program's working directory,
/// which it cannot remove itself, so it warns, and the warning must not wait for stderr).
/// The cleanups still queued run, unless a thread was ended inside the list of cleanups
/// (then they are skipped): the attribute's handler runs in most runs, so in at least one.
/// Several runs each: the other threads hold a lock most of the time, not all of it.
#[test]
#[ignore = "needs wine: run `bash .ci/windows`"]
fn a_cleanups_exit_while_other_threads_are_busy_never_hangs() {
    for with in ["remove", "scoped", "register", "eprint"] {
        let mut handled = 0;
        for run in 0..5 {
            let folder = Folder::new(&format!("busy-{with}-{run}"));
            fs::create_dir_all(folder.path("alive")).unwrap();
            fs::create_dir_all(folder.path("busy")).unwrap();
            folder.canary("scratch");
            let mut scenario = Scenario::wine("guardian_wine")
                .env("ON_EXIT_ALIVE", &folder.windows("alive"))
                .env("ON_EXIT_REMOVE", &folder.windows("scratch"))
                .env("ON_EXIT_BUSY", &folder.windows("busy"))
                .env("ON_EXIT_BUSY_WITH", with)
                .env("ON_EXIT_END", "busy-exit:5");
            if with == "eprint" {
                scenario = scenario.env("ON_EXIT_CWD", &folder.windows("scratch"));
            }
            let outcome = scenario.run();
            assert!(
                outcome.log.contains(&"armed".to_owned()),
                "{with}, run {run}: {outcome:#?}"
            );
            outcome.assert_windows_code(5);
            if outcome.log.iter().any(|line| line.starts_with("handler: ")) {
                handled += 1;
            }
            assert_removed_soon(&[folder.path("scratch")], &format!("{with}, run {run}"));
        }
        assert!(handled > 0, "{with}: the handler never ran");
    }
}
