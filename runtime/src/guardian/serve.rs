//! What the guardian process does: it collects what the program arms until the program ends,
//! then stops the children and removes the paths that the program did not get to itself,
//! each as the program was when it armed it: with its user, groups and capabilities, and
//! through the directory it named.

use std::io;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use super::protocol::{self, Message};
use super::sys;
use super::{ended, remove, ById, GRACE};

/// The guardian's life, from the first frame to the program's end and the work after it.
pub(crate) fn serve(mut inbox: sys::Inbox) {
    // A descriptor for each armed child and path: as many as the limit allows, and the
    // program hears of one this guardian could not take.
    sys::raise_descriptor_limit();
    let mut bytes = Vec::new();
    let mut held: ById<Held> = ById::default();
    loop {
        let open = matches!(inbox.receive(&mut bytes), Ok(true));
        while let Some((message, length)) = protocol::decode(&mut bytes) {
            // Who sent it, as the kernel says (a frame it does not vouch for is not acted on),
            // and its descriptor.
            let frame = inbox.frame(length);
            let Some(message) = message else {
                if frame.has_descriptor() {
                    inbox.answer(false);
                }
                continue;
            };
            let identity = |inbox: &sys::Inbox, sender, rights| {
                let alive = || inbox.program_alive();
                sys::Identity::verified(sender?, rights, inbox.program(), alive)
            };
            match message {
                Message::Child {
                    id,
                    rights,
                    pid,
                    group,
                } => {
                    let identity = identity(&inbox, frame.sender, &rights);
                    let process = frame.process(pid, group);
                    inbox.answer(process.is_some() && identity.is_some());
                    if let (Some(process), Some(identity)) = (process, identity) {
                        held.insert(id, Held::Child(process, identity));
                    }
                }
                Message::Path { id, rights, path } => {
                    let identity = identity(&inbox, frame.sender, &rights);
                    let entry = frame.entry(&path);
                    inbox.answer(entry.is_some() && identity.is_some());
                    if let (Some(entry), Some(identity)) = (entry, identity) {
                        held.insert(id, Held::Path(entry, identity, path));
                    }
                }
                Message::Terminal { id, state } => {
                    // Only from the program itself (the kernel vouches for the sender).
                    #[cfg(unix)]
                    {
                        let vouched =
                            identity(&inbox, frame.sender, &sys::Rights::default()).is_some();
                        let terminal = frame.terminal();
                        inbox.answer(vouched && terminal.is_some());
                        if let (true, Some(terminal)) = (vouched, terminal) {
                            held.insert(id, Held::Terminal(terminal, state));
                        }
                    }
                    #[cfg(not(unix))]
                    let _ = (id, state, frame);
                }
                Message::Done { id } => {
                    held.remove(id);
                }
            }
        }
        if !open {
            break;
        }
    }
    let mut items = held.into_values();
    // The terminal first: the user is looking at it.
    #[cfg(unix)]
    for item in &items {
        if let Held::Terminal(terminal, state) = item {
            crate::sys::restore_terminal_from(terminal, state);
        }
    }
    // All children at once (each grace period would otherwise add up), then the paths,
    // newest first: the children may have been writing into them.
    stop_as(&items);
    items.reverse();
    remove_all(items);
}

/// What the guardian holds of an armed item, to act on it at the end.
enum Held {
    /// The child, and who the program was when it armed it. (Where there are no pidfds,
    /// `Process` has no values, and no child ever comes.)
    Child(sys::Process, sys::Identity),
    /// What the path named, who the program was when it armed it, and the path as armed.
    Path(sys::Entry, sys::Identity, PathBuf),
    /// A terminal's descriptor and recorded state (Unix: none are sent elsewhere).
    #[cfg(unix)]
    Terminal(std::os::fd::OwnedFd, Vec<u8>),
}

/// Removes the paths among `items`, in their order, each as the program was when it armed
/// it, trying again for up to [`GRACE`] those that fail: what the program could not remove
/// may still be held for a moment by a process that is ending (on Windows an open file, or a
/// working directory, keeps a directory from going). The other items are dropped at the
/// first round.
fn remove_all(mut items: Vec<Held>) {
    let deadline = Instant::now() + GRACE;
    loop {
        // A refused path (`InvalidInput`) is not tried again, nor one the guardian cannot act
        // on as the program.
        items.retain(|item| {
            let Held::Path(entry, identity, path) = item else {
                return false;
            };
            let removed = identity.act(|| remove(entry, path));
            match removed {
                Some(Err(error)) => error.kind() != io::ErrorKind::InvalidInput,
                Some(Ok(())) | None => false,
            }
        });
        if items.is_empty() || Instant::now() >= deadline {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// [`super::stop`] for the children among `items`, each signalled as the program was when it
/// armed it.
fn stop_as(items: &[Held]) {
    for item in items {
        if let Held::Child(child, identity) = item {
            identity.act(|| child.stop());
        }
    }
    let all_exited = || {
        for item in items {
            if let Held::Child(child, _) = item {
                if !child.has_exited() {
                    return false;
                }
            }
        }
        true
    };
    if !ended(all_exited, GRACE) {
        for item in items {
            if let Held::Child(child, identity) = item {
                identity.act(|| child.kill());
            }
        }
        ended(all_exited, GRACE);
    }
}
