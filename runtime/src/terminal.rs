//! [`restore_terminal`]: the terminal's state recorded once, and put back on every ending,
//! after the cleanups (by the driver), or by the guardian after the endings no code of the
//! program survives.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::per_process::PerProcess;
use crate::sys::{self, Terminal};
use crate::{driver, guardian};

/// The recorded terminal (a forked child has none: its parent recorded it).
struct Recorded {
    terminal: Terminal,
    /// The guardian's copy, to be told it is done once this process restored it.
    guardian: Option<u64>,
    /// Put back already: `main`'s return and then `exit` both end the process.
    restored: AtomicBool,
}

static RECORDED: PerProcess<Recorded> = PerProcess::new();
/// Held while a terminal is recorded: two threads calling at once record it once.
static RECORDING: Mutex<()> = Mutex::new(());

/// Records the terminal's state now, and restores it however the program ends.
///
/// Call it before the program changes its terminal (raw mode, a hidden cursor, the alternate
/// screen: what every TUI does):
///
/// ```no_run
/// #[on_exit::on_exit(|| eprintln!("bye"))]
/// fn main() -> std::io::Result<()> {
///     on_exit::restore_terminal()?;
///     // ... raw mode, the alternate screen, a hidden cursor: even `kill -9` leaves the
///     // shell usable ...
///     Ok(())
/// }
/// ```
///
/// - **What is recorded:** on Unix the termios (echo, canonical mode, signal keys, ...) of
///   the controlling terminal, through whichever of stdin, stdout and stderr is a terminal,
///   else `/dev/tty`; on Windows the console's input and output modes.
/// - **What is restored:** that state, then the resets a terminal program needs: the cursor
///   shown, the alternate screen left, mouse reporting and bracketed paste off, the
///   attributes reset (on Windows only if the console reads escape sequences). On Unix, not
///   while another job holds the terminal: only while its foreground group is the
///   program's, an ancestor's in its session (the shell taking it back) or the session
///   leader's.
/// - **When:** on every ending the program sees (return, panic, `panic = "abort"`,
///   `process::exit`, [`exit`](crate::exit), every caught signal), after the cleanups. On
///   Unix, also after `kill -9`, `abort` or a crash: the guardian process restores it through
///   its own descriptor of the terminal, within milliseconds.
/// - Not a terminal (output to a pipe, no controlling terminal): `Ok(())`, and nothing is
///   armed. A second call keeps the first record.
///
/// # Errors
///
/// If the terminal's state cannot be read, or (Unix) the guardian cannot be started. Then
/// nothing is armed.
pub fn restore_terminal() -> io::Result<()> {
    let _recording = RECORDING.lock().unwrap_or_else(PoisonError::into_inner);
    if RECORDED.get().is_some() {
        return Ok(());
    }
    let Some(terminal) = sys::record_terminal()? else {
        return Ok(());
    };
    // Where no guardian can be started (a secure-execution process, on-exit in a shared
    // library), the program still restores it on every ending it sees.
    let guardian = match guardian::arm_terminal(&terminal) {
        Err(error) if error.kind() == io::ErrorKind::Unsupported => None,
        armed => armed?,
    };
    driver::ensure_installed();
    driver::after_cleanups(restore);
    RECORDED.publish(Recorded {
        terminal,
        guardian,
        restored: AtomicBool::new(false),
    });
    Ok(())
}

/// Puts the recorded terminal back (the driver calls it once the cleanups are done), then
/// tells the guardian it need not.
fn restore() {
    let Some(recorded) = RECORDED.get() else {
        return;
    };
    if recorded.restored.swap(true, Ordering::AcqRel) {
        return;
    }
    recorded.terminal.restore();
    if let Some(id) = recorded.guardian {
        guardian::disarm(id);
    }
}
