//! The guardian on Unix: children watched through pidfds (`pidfd.rs`), a socket pair that
//! carries frames and pidfds (`channel.rs`), and the copy of the program started before its
//! `main` (`bootstrap.rs`).

mod bootstrap;
mod channel;
mod pidfd;

pub(crate) use self::bootstrap::start_guardian;
pub(crate) use self::channel::{path_bytes, path_from_bytes, Inbox, Link};
pub(crate) use self::pidfd::{watch, Process, GUARDIAN_KILLS};
