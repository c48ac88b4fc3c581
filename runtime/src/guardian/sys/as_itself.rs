//! Where the kernel does not vouch for a frame's sender (systems other than Linux), the
//! guardian acts on every item as itself: the identity the program had when it started it.

use super::Rights;

/// What the kernel says about a frame's sender: nothing here.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Sender;

/// The rights the program claims: none to claim here.
pub(crate) fn current_rights() -> Rights {
    Rights::default()
}

/// The guardian's own identity: it acts as itself.
pub(crate) struct Identity;

impl Identity {
    #[allow(clippy::unnecessary_wraps)] // the signature of Linux's, which refuses some senders
    pub(crate) fn verified(
        _sender: Sender,
        _claimed: &Rights,
        _program: i32,
        _alive: impl FnOnce() -> bool,
    ) -> Option<Identity> {
        Some(Identity)
    }

    #[allow(clippy::unused_self, clippy::unnecessary_wraps)]
    pub(crate) fn act<R>(&self, work: impl FnOnce() -> R) -> Option<R> {
        Some(work())
    }
}
