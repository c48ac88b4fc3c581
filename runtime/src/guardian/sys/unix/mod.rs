//! The guardian on Unix: children watched through pidfds (`pidfd.rs`), a socket pair that
//! carries frames and pidfds (`channel.rs`), the guardian's descriptor limit (`limits.rs`),
//! and the copy of the program started before its `main` (`bootstrap.rs`).

mod bootstrap;
mod channel;
mod limits;
mod pidfd;

pub(crate) use self::bootstrap::start_guardian;
pub(crate) use self::channel::{path_bytes, path_from_bytes, Inbox, Link};
pub(crate) use self::limits::raise_descriptor_limit;
pub(crate) use self::pidfd::{watch, Process, GUARDIAN_KILLS};
