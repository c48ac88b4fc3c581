//! The terminal's state, recorded and put back: `record() -> io::Result<Option<Terminal>>`
//! (`None`: the program has no terminal); `Terminal::restore`, which puts the recorded modes
//! back and writes [`RESET`]; on Unix `Terminal::fd` and `Terminal::state`, what the guardian
//! is given, and `restore_from(fd, state)`, what the guardian does with them.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use self::unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use self::windows::*;

#[cfg(not(any(unix, windows)))]
mod other;
#[cfg(not(any(unix, windows)))]
pub(crate) use self::other::*;

/// What a terminal program may have left on: shown after the modes are back. Show the cursor,
/// leave the alternate screen, mouse reporting off (clicks, drags, all motion, SGR), bracketed
/// paste off, attributes reset.
#[cfg_attr(not(any(unix, windows)), allow(dead_code))]
pub(crate) const RESET: &[u8] =
    b"\x1b[?25h\x1b[?1049l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[0m";
