//! An `io::Error` that says what on-exit was doing when it happened, and keeps the original as
//! its `source()`.

use std::error::Error;
use std::{fmt, io};

/// `error` as the cause of `what` failing: the same kind, the message `{what}: {error}` (as
/// before the original was kept), and `error` itself as the `source()` of the returned error.
pub(crate) fn context(error: io::Error, what: &'static str) -> io::Error {
    io::Error::new(
        error.kind(),
        Context {
            what,
            source: error,
        },
    )
}

#[derive(Debug)]
struct Context {
    what: &'static str,
    source: io::Error,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.source)
    }
}

impl Error for Context {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}
