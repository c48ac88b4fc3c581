//! A terminal program that never leaves the shell broken: raw mode, a hidden cursor and the
//! alternate screen, with `on_exit::restore_terminal` putting the terminal back however it
//! ends: `q`, a panic (`p`), Ctrl-C is only a key here, `kill`, and even `kill -9`.
//!
//! ```text
//! cargo run --example tui
//! kill -9 <the pid it shows>     # from another terminal: the shell is usable again
//! ```

#[on_exit::on_exit(|| eprintln!("tui: cleaned up"))]
fn main() -> std::io::Result<()> {
    // First, before anything changes the terminal: record it, and arm its restore.
    on_exit::restore_terminal()?;
    #[cfg(unix)]
    screen::run()?;
    #[cfg(not(unix))]
    eprintln!("this example draws with Unix termios; on Windows, restore_terminal records the console modes");
    Ok(())
}

#[cfg(unix)]
mod screen {
    use std::io::{self, Read as _, Write as _};
    use std::time::Instant;

    /// Raw mode with reads that wait at most 0.2 s, so the screen can tick.
    fn raw_mode() -> io::Result<()> {
        // SAFETY: an all-zero termios is a valid value for tcgetattr to fill.
        let mut termios: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: stdin is the terminal; `termios` is valid memory for both calls.
        unsafe {
            if libc::tcgetattr(0, &raw mut termios) != 0 {
                return Err(io::Error::last_os_error());
            }
            libc::cfmakeraw(&raw mut termios);
            termios.c_cc[libc::VMIN] = 0;
            termios.c_cc[libc::VTIME] = 2;
            if libc::tcsetattr(0, libc::TCSANOW, &raw const termios) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    pub(crate) fn run() -> io::Result<()> {
        raw_mode()?;
        let mut out = io::stdout();
        // Hide the cursor, switch to the alternate screen.
        out.write_all(b"\x1b[?25l\x1b[?1049h")?;
        let start = Instant::now();
        let mut key = [0_u8];
        loop {
            write!(
                out,
                "\x1b[H\x1b[2J\x1b[7m tui \x1b[0m pid {}, {:.1} s\r\n\r\n\
                 q: quit    p: panic    or kill -9 {} from another terminal\r\n",
                std::process::id(),
                start.elapsed().as_secs_f32(),
                std::process::id(),
            )?;
            out.flush()?;
            if io::stdin().read(&mut key)? == 1 {
                match key[0] {
                    b'q' => return Ok(()),
                    b'p' => panic!("the tui panics on purpose"),
                    _ => {}
                }
            }
        }
    }
}
