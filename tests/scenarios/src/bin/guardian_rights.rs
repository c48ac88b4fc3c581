//! A program that arms paths while it changes who it is and where its root is, then waits to
//! be killed (or returns). Run as root by `tests/rights.rs`.
//!
//! - `ON_EXIT_STEPS`: comma-separated steps, in order:
//!   - `arm:PATH`: `remove_on_exit(PATH)`; an error is logged as `error PATH: ...`;
//!   - `drop:UID:GID[:GROUP...]`: the supplementary groups set to the `GROUP`s (none if
//!     none), then the real, effective and saved group and user ids to `GID` and `UID`;
//!   - `nocaps`: `CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH` and `CAP_FOWNER` dropped from the
//!     effective and permitted sets (still user 0);
//!   - `chroot:DIR`: `chroot(DIR)`, then `chdir("/")`;
//!   - `spawn`: starts a `sleep` (logs `child PID`);
//!   - `kill`: `kill_on_exit` of the last child started.
//! - `ON_EXIT_END`: `wait` (the test kills the program) or `return`.
//!
//! Logs `armed` once every step is done (or `error ...` lines), then `ready`.
#![deny(warnings)]

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::CString;
    use std::fs::File;
    use std::io::Write as _;
    use std::os::unix::ffi::OsStrExt as _;
    use std::path::Path;
    use std::time::Duration;

    /// The log, opened before any `chroot` (its path would name nothing after it).
    struct Log(File);

    impl Log {
        fn line(&mut self, line: &str) {
            self.0
                .write_all(format!("{line}\n").as_bytes())
                .expect("the log file takes a line");
        }
    }

    fn check(what: &str, result: libc::c_long) {
        assert_eq!(result, 0, "{what}: {}", std::io::Error::last_os_error());
    }

    fn drop_to(words: &[&str]) {
        let number = |word: &str| word.parse::<u32>().expect("a number");
        let (uid, gid) = (number(words[0]), number(words[1]));
        let groups: Vec<libc::gid_t> = words[2..].iter().map(|word| number(word)).collect();
        // SAFETY: setgroups reads `groups.len()` ids; setresgid and setresuid take numbers.
        // Through libc, so that every thread changes (glibc's setxid broadcast).
        unsafe {
            check(
                "setgroups",
                libc::c_long::from(libc::setgroups(groups.len(), groups.as_ptr())),
            );
            check(
                "setresgid",
                libc::c_long::from(libc::setresgid(gid, gid, gid)),
            );
            check(
                "setresuid",
                libc::c_long::from(libc::setresuid(uid, uid, uid)),
            );
        }
    }

    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }

    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Word {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }

    /// Drops the capabilities that let user 0 ignore file permissions, in this thread. (The
    /// runtime's thread keeps them, and never touches files.)
    fn drop_file_capabilities() {
        const VERSION_3: u32 = 0x2008_0522;
        let dropped: u32 = (1 << 1) | (1 << 2) | (1 << 3); // DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER
        let mut header = Header {
            version: VERSION_3,
            pid: 0,
        };
        let mut words = [Word::default(); 2];
        // SAFETY: capget and capset read the header and read or write two words.
        unsafe {
            check(
                "capget",
                libc::syscall(libc::SYS_capget, &mut header, words.as_mut_ptr()),
            );
            words[0].effective &= !dropped;
            words[0].permitted &= !dropped;
            check(
                "capset",
                libc::syscall(libc::SYS_capset, &mut header, words.as_ptr()),
            );
        }
    }

    pub(crate) fn main() {
        let steps = std::env::var("ON_EXIT_STEPS").expect("ON_EXIT_STEPS is set");
        let path = std::env::var_os("ON_EXIT_LOG").expect("ON_EXIT_LOG is set");
        let mut log = Log(File::options()
            .create(true)
            .append(true)
            .open(path)
            .expect("the log file opens"));
        let mut failed = false;
        let mut children = Vec::new();
        for step in steps.split(',') {
            let words: Vec<&str> = step.split(':').collect();
            match words[0] {
                "arm" => {
                    if let Err(error) = on_exit::remove_on_exit(words[1]) {
                        log.line(&format!("error {}: {error}", words[1]));
                        failed = true;
                    }
                }
                "drop" => drop_to(&words[1..]),
                "nocaps" => drop_file_capabilities(),
                "chroot" => {
                    let directory =
                        CString::new(Path::new(words[1]).as_os_str().as_bytes()).expect("no NUL");
                    // SAFETY: chroot and chdir read a C string.
                    unsafe {
                        check(
                            "chroot",
                            libc::c_long::from(libc::chroot(directory.as_ptr())),
                        );
                        check("chdir", libc::c_long::from(libc::chdir(c"/".as_ptr())));
                    }
                }
                "spawn" => {
                    let child = std::process::Command::new("sleep")
                        .arg("1000")
                        .spawn()
                        .expect("sleep starts");
                    log.line(&format!("child {}", child.id()));
                    children.push(child);
                }
                "kill" => {
                    let child = children.last_mut().expect("a child was started");
                    if let Err(error) = on_exit::kill_on_exit(child) {
                        log.line(&format!("error {}: {error}", child.id()));
                        failed = true;
                    }
                }
                other => panic!("unknown step {other}"),
            }
        }
        if !failed {
            log.line("armed");
        }
        log.line("ready");
        match std::env::var("ON_EXIT_END").as_deref() {
            Ok("wait") => std::thread::sleep(Duration::from_mins(1)),
            Ok("return") => {}
            end => panic!("unknown ending {end:?}"),
        }
    }
}

#[cfg(target_os = "linux")]
fn main() {
    linux::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("guardian_rights is a Linux program: see tests/rights.rs");
    std::process::exit(2);
}
