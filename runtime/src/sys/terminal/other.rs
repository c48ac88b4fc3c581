//! Targets without a terminal (wasm32): there is never one to record.

use std::io;

/// Never exists.
pub(crate) enum Terminal {}

#[allow(clippy::unnecessary_wraps)] // the Unix and Windows ones can fail
pub(crate) fn record() -> io::Result<Option<Terminal>> {
    Ok(None)
}

impl Terminal {
    pub(crate) fn restore(&self) {
        match *self {}
    }
}

/// Nothing to keep quiet here: no `SIGTTOU` or `SIGPIPE`.
pub(crate) fn quiet_thread() {}
