//! The guardian on Unix: children watched through pidfds (`pidfd.rs`), a socket pair that
//! carries frames, pidfds and directories (`channel.rs`), the directory of each armed path
//! (`entry.rs`), who the program was when it armed each item (`credentials.rs`), the
//! guardian's descriptor limit (`limits.rs`), the copy of the program started before its
//! `main` (`bootstrap.rs`), the hook that turns it into the guardian once the program has
//! proved itself (`hook.rs`), how the hook reaches the guardian's code (`entry_point.rs`), and
//! the removal of a tree with a bounded number of descriptors (`remove.rs`).

mod bootstrap;
mod channel;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod credentials;
mod entry;
mod entry_point;
mod hook;
mod inbox;
mod limits;
mod pidfd;
mod remove;

pub(crate) use self::bootstrap::start_guardian;
pub(crate) use self::channel::{path_bytes, path_from_bytes, Link};
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use self::credentials::{current_rights, Identity, Sender};
pub(crate) use self::entry::Entry;
pub(crate) use self::inbox::Inbox;
pub(crate) use self::limits::raise_descriptor_limit;
pub(crate) use self::pidfd::{watch, Process, GUARDIAN_KILLS};
pub(crate) use self::remove::account_homes;

/// What travels beside a frame: a descriptor.
pub(crate) type Descriptor<'a> = std::os::fd::BorrowedFd<'a>;
