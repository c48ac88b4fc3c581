//! No wake-up where there are no signals (wasm32).

use std::io;
use std::time::Duration;

/// Never created: there is no signal to wake for.
pub(crate) struct Waker(());

#[allow(clippy::unused_self)]
impl Waker {
    pub(crate) fn new() -> io::Result<Waker> {
        Err(io::ErrorKind::Unsupported.into())
    }

    pub(crate) fn wait(&self, _timeout: Option<Duration>) {}
}

/// Nothing to wake.
pub(crate) fn wake() {}
