//! The Windows side of `kill_on_exit` and `remove_on_exit`, run under wine by
//! `tests/wine.rs`. Each child (a copy of this program, `ON_EXIT_ROLE=child`) holds a marker
//! file open with `FILE_FLAG_DELETE_ON_CLOSE` in `ON_EXIT_ALIVE`, so the marker goes when the
//! process goes; once the main program has armed it, it starts a grandchild that does the
//! same (it joins the child's job).
//!
//! - `ON_EXIT_CWD`: where the program goes first (before anything is armed).
//! - `ON_EXIT_USERPROFILE`, `ON_EXIT_HOME`: the program's `USERPROFILE` and `HOME`, set first
//!   (wine sets its own over the ones it is started with).
//! - `ON_EXIT_NO_SYSTEMROOT`: if set, `SystemRoot` is taken out of the environment first, as
//!   a parent's `env_clear` leaves it (wine puts it back in a process it starts).
//! - `ON_EXIT_CHILDREN`: how many children.
//! - `ON_EXIT_CHILD_DIR`: if set, each child runs in this folder and holds a file open in it
//!   that no one may delete while it is open (`held-NAME`), as a tool working in its scratch
//!   directory does.
//! - `ON_EXIT_REMOVE`: paths, comma-separated, armed after the children.
//! - `ON_EXIT_REFUSE`: more paths, separated by `|` (so that the empty path can be one), each
//!   logged as `remove "PATH": ok` or `remove "PATH": KIND` (the error's kind); these are not
//!   errors of the run.
//! - `ON_EXIT_REFUSE_SHORT`: more paths, separated by `|`, each tried by its 8.3 short name
//!   (`GetShortPathNameW`), logged as `remove short of "PATH" (SHORT): ok` or `KIND`.
//! - `ON_EXIT_BUSY`: a folder for `busy-exit`'s threads to arm paths in.
//! - `ON_EXIT_BUSY_WITH`: what `busy-exit`'s four threads do in a loop: `remove` (arm a path
//!   in `ON_EXIT_BUSY`, the default), `scoped` (make and drop a scoped guard), `register` (a
//!   cleanup that does nothing) or `eprint` (write a line of 2 KB to stderr).
//! - `ON_EXIT_END`: `terminate` (`TerminateProcess` on itself), `exit:N`
//!   (`std::process::exit`, which is `ExitProcess`), `return`, or `busy-exit:N` (a cleanup
//!   registered last calls `std::process::exit(N)` while other threads keep at
//!   `ON_EXIT_BUSY_WITH`, so that `ExitProcess` may end one holding a lock; then `main`
//!   returns).
//!
//! Logs `armed` (or `error ...`), then `ready`; the attribute's handler logs `handler: N
//! alive` (markers still there) and `handler: N left` (paths of `ON_EXIT_REMOVE` still there).
#![deny(warnings)]

#[cfg(windows)]
mod windows {
    use std::fs::{File, OpenOptions};
    use std::os::windows::fs::OpenOptionsExt as _;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::time::Duration;

    use on_exit_scenarios::log;

    /// `FILE_FLAG_DELETE_ON_CLOSE`.
    const DELETE_ON_CLOSE: u32 = 0x0400_0000;

    fn alive_dir() -> PathBuf {
        std::env::var_os("ON_EXIT_ALIVE")
            .expect("ON_EXIT_ALIVE is set")
            .into()
    }

    fn marker(name: &str) -> File {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(DELETE_ON_CLOSE)
            .open(alive_dir().join(name))
            .expect("the marker is created")
    }

    fn wait_for(path: &Path) {
        for _ in 0..6_000 {
            if path.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("{} never appeared", path.display());
    }

    /// A child or grandchild: its marker, then (a child, once armed) a grandchild, then a
    /// minute of sleep.
    pub(crate) fn child(role: &str) {
        let name = std::env::var("ON_EXIT_NAME").expect("ON_EXIT_NAME is set");
        let _marker = marker(&name);
        let _held = std::env::var_os("ON_EXIT_CHILD_DIR").map(|_| {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .share_mode(0)
                .open(format!("held-{name}"))
                .expect("the held file is created")
        });
        let mut grandchild = None;
        if role == "child" {
            wait_for(&alive_dir().join("armed"));
            grandchild = Some(
                Command::new(std::env::current_exe().unwrap())
                    .env("ON_EXIT_ROLE", "grandchild")
                    .env("ON_EXIT_NAME", format!("{name}.grandchild"))
                    .spawn()
                    .expect("the grandchild starts"),
            );
        }
        std::thread::sleep(Duration::from_mins(1));
        drop(grandchild);
    }

    pub(crate) fn handler() {
        if std::env::var_os("ON_EXIT_ROLE").is_some() {
            return;
        }
        let alive = std::fs::read_dir(alive_dir()).map_or(0, |entries| {
            entries
                .flatten()
                .filter(|entry| entry.file_name() != "armed")
                .count()
        });
        log(&format!("handler: {alive} alive"));
        let paths = std::env::var("ON_EXIT_REMOVE").unwrap_or_default();
        let left = paths
            .split(',')
            .filter(|path| !path.is_empty() && Path::new(path).exists())
            .count();
        log(&format!("handler: {left} left"));
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

    /// `ON_EXIT_REFUSE_SHORT`: arms each path by its 8.3 short name and logs the answer.
    fn try_each_short(paths: &str) {
        use std::os::windows::ffi::{OsStrExt as _, OsStringExt as _};
        use windows_sys::Win32::Storage::FileSystem::GetShortPathNameW;

        for path in paths.split('|') {
            let long: Vec<u16> = std::ffi::OsStr::new(path)
                .encode_wide()
                .chain([0])
                .collect();
            let mut short = vec![0_u16; 1024];
            // SAFETY: `long` ends in a zero; `short` has room for the length given.
            let length = unsafe { GetShortPathNameW(long.as_ptr(), short.as_mut_ptr(), 1024) };
            short.truncate(usize::try_from(length).unwrap());
            let short = PathBuf::from(std::ffi::OsString::from_wide(&short));
            let answer = match on_exit::remove_on_exit(&short) {
                Ok(()) => "ok".to_owned(),
                Err(error) => format!("{:?}", error.kind()),
            };
            log(&format!(
                "remove short of {path:?} ({}): {answer}",
                short.display()
            ));
        }
    }

    /// `busy-exit:N`: the last cleanup registered (so the first to run) exits with `N`, while
    /// four threads keep at `ON_EXIT_BUSY_WITH` for as long as they live.
    fn busy_exit(code: i32) {
        on_exit::register(move || std::process::exit(code));
        let with = std::env::var("ON_EXIT_BUSY_WITH").unwrap_or_else(|_| "remove".to_owned());
        let busy = PathBuf::from(std::env::var_os("ON_EXIT_BUSY").expect("ON_EXIT_BUSY is set"));
        for _ in 0..4 {
            let (with, busy) = (with.clone(), busy.clone());
            std::thread::spawn(move || {
                for index in 0_u32.. {
                    match with.as_str() {
                        "remove" => {
                            let path = busy.join(format!("busy{}", index % 50));
                            let _ = on_exit::remove_on_exit(path);
                        }
                        "scoped" => drop(on_exit::scoped(|| {})),
                        "register" => on_exit::register(|| {}),
                        "eprint" => eprintln!("{}", "x".repeat(2048)),
                        other => panic!("ON_EXIT_BUSY_WITH: unknown {other:?}"),
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    pub(crate) fn main() {
        if let Some(profile) = std::env::var_os("ON_EXIT_USERPROFILE") {
            std::env::set_var("USERPROFILE", profile);
        }
        if let Some(home) = std::env::var_os("ON_EXIT_HOME") {
            std::env::set_var("HOME", home);
        }
        if std::env::var_os("ON_EXIT_NO_SYSTEMROOT").is_some() {
            std::env::remove_var("SystemRoot");
        }
        if let Some(directory) = std::env::var_os("ON_EXIT_CWD") {
            std::env::set_current_dir(directory).expect("ON_EXIT_CWD exists");
        }
        let count: usize = std::env::var("ON_EXIT_CHILDREN")
            .ok()
            .and_then(|count| count.parse().ok())
            .unwrap_or(0);
        let mut errors = Vec::new();
        let mut children = Vec::new();
        for index in 0..count {
            let mut command = Command::new(std::env::current_exe().unwrap());
            command
                .env("ON_EXIT_ROLE", "child")
                .env("ON_EXIT_NAME", format!("child{index}"));
            if let Some(directory) = std::env::var_os("ON_EXIT_CHILD_DIR") {
                command.current_dir(directory);
            }
            let mut child = command.spawn().expect("the child starts");
            if let Err(error) = on_exit::kill_on_exit(&mut child) {
                errors.push(error);
            }
            children.push(child);
        }
        let paths = std::env::var("ON_EXIT_REMOVE").unwrap_or_default();
        for path in paths.split(',').filter(|path| !path.is_empty()) {
            if let Err(error) = on_exit::remove_on_exit(path) {
                errors.push(error);
            }
        }
        if let Ok(paths) = std::env::var("ON_EXIT_REFUSE") {
            try_each(&paths);
        }
        if let Ok(paths) = std::env::var("ON_EXIT_REFUSE_SHORT") {
            try_each_short(&paths);
        }
        if count > 0 {
            File::create(alive_dir().join("armed")).unwrap();
            // Every child and grandchild is up.
            for index in 0..count {
                wait_for(&alive_dir().join(format!("child{index}.grandchild")));
            }
        }
        match errors.first() {
            None => log("armed"),
            Some(error) => log(&format!("error {:?}: {error}", error.kind())),
        }
        log("ready");
        let end = std::env::var("ON_EXIT_END").unwrap_or_default();
        if end == "terminate" {
            use windows_sys::Win32::System::Threading::{GetCurrentProcess, TerminateProcess};
            // SAFETY: TerminateProcess on this process's pseudo-handle: the ending under test.
            unsafe { TerminateProcess(GetCurrentProcess(), 9) };
            std::thread::sleep(Duration::from_mins(1));
        }
        if let Some(code) = end.strip_prefix("exit:") {
            std::process::exit(code.parse().unwrap());
        }
        if let Some(code) = end.strip_prefix("busy-exit:") {
            busy_exit(code.parse().unwrap());
        }
        drop(children);
    }
}

#[cfg(windows)]
#[on_exit::on_exit(windows::handler)]
fn main() {
    match std::env::var("ON_EXIT_ROLE").as_deref() {
        Ok(role @ ("child" | "grandchild")) => windows::child(role),
        _ => windows::main(),
    }
}

#[cfg(not(windows))]
fn main() {
    eprintln!("guardian_wine is a Windows program: see tests/wine.rs");
    std::process::exit(2);
}
