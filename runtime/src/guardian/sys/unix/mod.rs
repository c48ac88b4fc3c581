//! The guardian on Unix: children watched through pidfds (`pidfd.rs`), a socket pair that
//! carries frames and pidfds (`channel.rs`), the guardian's descriptor limit (`limits.rs`),
//! the copy of the program started before its `main` (`bootstrap.rs`), the hook that turns it
//! into the guardian once the program has proved itself (`hook.rs`), how the hook reaches the
//! guardian's code (`entry.rs`), and the removal of a tree with a bounded number of
//! descriptors (`remove.rs`).

mod bootstrap;
mod channel;
mod entry;
mod hook;
mod limits;
mod pidfd;
mod remove;

pub(crate) use self::bootstrap::start_guardian;
pub(crate) use self::channel::{path_bytes, path_from_bytes, Inbox, Link};
pub(crate) use self::limits::raise_descriptor_limit;
pub(crate) use self::pidfd::{watch, Process, GUARDIAN_KILLS};
pub(crate) use self::remove::{account_homes, remove_tree};
