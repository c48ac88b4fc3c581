//! What ended the program: the values a cleanup is told.

use core::fmt;

/// Why the cleanup is running.
///
/// A cleanup written as `fn cleanup(reason: Reason)` receives one of these.
///
/// ```
/// use on_exit::{Reason, Signal};
///
/// fn cleanup(reason: Reason) {
///     match reason {
///         Reason::Signal(Signal::Interrupt) => eprintln!("interrupted, cleaning up"),
///         Reason::Panicked => eprintln!("main panicked, cleaning up"),
///         _ => {}
///     }
/// }
/// # cleanup(Reason::Returned);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// `main` returned, whatever it returned: `()`, `Ok`, `Err`, an `ExitCode`, through an
    /// early `return` or a `?`.
    Returned,
    /// A panic unwound out of `main`.
    Panicked,
    /// The process is ending through `exit` without `main` returning:
    /// [`std::process::exit`] called on any thread.
    Exited,
    /// A signal (Unix) or console event (Windows) asked the process to end.
    Signal(Signal),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Returned => f.write_str("main returned"),
            Reason::Panicked => f.write_str("main panicked"),
            Reason::Exited => f.write_str("the process called exit"),
            Reason::Signal(signal) => write!(f, "received {signal}"),
        }
    }
}

/// A request from outside to end the process: a Unix signal or a Windows console event.
///
/// Each variant exists on every platform so that code matching on it compiles everywhere;
/// the ones a platform does not have are never delivered there (see [`Signal::as_raw`]).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Signal {
    /// `SIGINT`, or `CTRL_C_EVENT` on Windows: the user pressed Ctrl-C.
    Interrupt,
    /// `SIGTERM`: a polite request to stop, from `kill`, a supervisor or a container runtime.
    Terminate,
    /// `SIGHUP`: the terminal closed.
    Hangup,
    /// `SIGQUIT`: Ctrl-\ on a terminal. Not caught unless asked for, so that a core dump stays
    /// inspectable.
    Quit,
    /// `CTRL_BREAK_EVENT` (Windows only).
    CtrlBreak,
    /// `CTRL_CLOSE_EVENT` (Windows only): the console window is closing.
    Close,
    /// `CTRL_LOGOFF_EVENT` (Windows only): the user is logging off.
    Logoff,
    /// `CTRL_SHUTDOWN_EVENT` (Windows only): the system is shutting down.
    Shutdown,
}

impl Signal {
    /// Every signal, in declaration order.
    pub(crate) const ALL: [Signal; 8] = [
        Signal::Interrupt,
        Signal::Terminate,
        Signal::Hangup,
        Signal::Quit,
        Signal::CtrlBreak,
        Signal::Close,
        Signal::Logoff,
        Signal::Shutdown,
    ];

    /// The platform's number for this signal: the signal number on Unix (`SIGTERM` is 15), the
    /// console control event code on Windows (`CTRL_CLOSE_EVENT` is 2). `None` for a signal
    /// this platform does not have, such as [`Signal::Close`] on Unix.
    ///
    /// ```
    /// # use on_exit::Signal;
    /// # #[cfg(unix)]
    /// assert_eq!(Signal::Terminate.as_raw(), Some(15));
    /// # #[cfg(unix)]
    /// assert_eq!(Signal::Close.as_raw(), None);
    /// ```
    #[must_use]
    pub fn as_raw(self) -> Option<i32> {
        crate::sys::raw_number(self)
    }

    /// The signal with the platform's number `raw`, the inverse of [`Signal::as_raw`].
    #[must_use]
    pub fn from_raw(raw: i32) -> Option<Signal> {
        for signal in &Signal::ALL {
            if signal.as_raw() == Some(raw) {
                return Some(*signal);
            }
        }
        None
    }

    /// The platform's name for the signal: `"SIGINT"` on Unix, `"CTRL_C_EVENT"` on Windows.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt if cfg!(windows) => "CTRL_C_EVENT",
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
            Signal::Quit => "SIGQUIT",
            Signal::CtrlBreak => "CTRL_BREAK_EVENT",
            Signal::Close => "CTRL_CLOSE_EVENT",
            Signal::Logoff => "CTRL_LOGOFF_EVENT",
            Signal::Shutdown => "CTRL_SHUTDOWN_EVENT",
        }
    }

    /// Whether a second, separate delivery of this signal during a cleanup ends the process at
    /// once. Only the requests a user repeats on purpose do: Ctrl-C, `SIGTERM` and Ctrl-Break.
    /// A repeated `SIGHUP` never forces: one terminal close can deliver it twice.
    pub(crate) fn forces(self) -> bool {
        matches!(
            self,
            Signal::Interrupt | Signal::Terminate | Signal::CtrlBreak
        )
    }

    /// Whether the system ends the process soon after delivering it, whatever the program
    /// does: the console closing, the user logging off, the system shutting down.
    pub(crate) fn urgent(self) -> bool {
        matches!(self, Signal::Close | Signal::Logoff | Signal::Shutdown)
    }

    /// A small non-zero code for storing the signal in an atomic.
    pub(crate) fn code(self) -> u8 {
        // The position in ALL, plus one so that zero means "none".
        let index = Signal::ALL.iter().position(|s| *s == self).unwrap_or(0);
        u8::try_from(index + 1).unwrap_or(0)
    }

    /// The inverse of [`Signal::code`].
    pub(crate) fn from_code(code: u8) -> Option<Signal> {
        Signal::ALL.get(usize::from(code).checked_sub(1)?).copied()
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_non_zero() {
        for signal in Signal::ALL {
            assert_ne!(signal.code(), 0);
            assert_eq!(Signal::from_code(signal.code()), Some(signal));
        }
        assert_eq!(Signal::from_code(0), None);
        assert_eq!(Signal::from_code(200), None);
    }

    #[test]
    fn raw_numbers_round_trip() {
        for signal in Signal::ALL {
            if let Some(raw) = signal.as_raw() {
                assert_eq!(Signal::from_raw(raw), Some(signal));
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn unix_numbers_are_the_libc_ones() {
        assert_eq!(Signal::Interrupt.as_raw(), Some(libc::SIGINT));
        assert_eq!(Signal::Terminate.as_raw(), Some(libc::SIGTERM));
        assert_eq!(Signal::Hangup.as_raw(), Some(libc::SIGHUP));
        assert_eq!(Signal::Quit.as_raw(), Some(libc::SIGQUIT));
        assert_eq!(Signal::Close.as_raw(), None);
        assert_eq!(Signal::Terminate.to_string(), "SIGTERM");
        assert_eq!(
            Reason::Signal(Signal::Hangup).to_string(),
            "received SIGHUP"
        );
    }
}
