//! Waiting for the child that `exec` runs, and how it ended.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use self::unix::*;

#[cfg(not(unix))]
mod other;
#[cfg(not(unix))]
pub(crate) use self::other::*;
