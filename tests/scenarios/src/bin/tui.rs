//! A terminal program: records its terminal with `on_exit::restore_terminal`, puts it in raw
//! mode (`TUI_MODE=raw`, or `cbreak`: echo and line editing off, the signal keys still on),
//! hides the cursor and switches to the alternate screen, then ends as `ON_EXIT_MAIN` says.
//! `TUI_MODE=none`: without a terminal, only the record (which must be `Ok`).
//! Its cleanup writes `bye` to the terminal before the scenario cleanup. It logs `pid N` first.

use std::process::ExitCode;

use on_exit::{on_exit, Reason};
use on_exit_scenarios::{body, cleanup, Failure};

fn goodbye(reason: Reason) {
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(b"bye");
    cleanup(reason);
}

#[on_exit(goodbye)]
fn main() -> Result<ExitCode, Failure> {
    on_exit_scenarios::log(&format!("pid {}", std::process::id()));
    on_exit::restore_terminal().expect("the terminal is recorded");
    #[cfg(unix)]
    unix::enter(&std::env::var("TUI_MODE").unwrap_or_default());
    body()
}

#[cfg(unix)]
mod unix {
    use std::io::Write as _;

    /// Raw (or cbreak) mode, the cursor hidden, the alternate screen.
    pub(crate) fn enter(mode: &str) {
        if mode == "none" {
            return;
        }
        // SAFETY: an all-zero termios is a valid value for tcgetattr to fill.
        let mut termios: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: stdin is the terminal; `termios` is valid memory for tcgetattr/tcsetattr.
        unsafe {
            assert_eq!(libc::tcgetattr(0, &raw mut termios), 0, "tcgetattr");
            match mode {
                "raw" => libc::cfmakeraw(&raw mut termios),
                "cbreak" => termios.c_lflag &= !(libc::ECHO | libc::ICANON),
                other => panic!("unknown TUI_MODE {other}"),
            }
            assert_eq!(libc::tcsetattr(0, libc::TCSANOW, &raw const termios), 0);
        }
        let echo = termios.c_lflag & libc::ECHO != 0;
        let canonical = termios.c_lflag & libc::ICANON != 0;
        on_exit_scenarios::log(&format!("entered echo={echo} canonical={canonical}"));
        let mut stdout = std::io::stdout();
        stdout
            .write_all(b"\x1b[?25l\x1b[?1049h")
            .and_then(|()| stdout.flush())
            .expect("the terminal takes the escapes");
    }
}
