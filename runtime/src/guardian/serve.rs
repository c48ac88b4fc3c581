//! What the guardian process does: it collects what the program arms until the program ends,
//! then stops the children and removes the paths that the program did not get to itself.

use std::io;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use super::protocol::{self, Message};
use super::sys;
use super::{remove, stop, ById, GRACE};

/// The guardian's life, from the first frame to the program's end and the work after it.
pub(crate) fn serve(mut inbox: sys::Inbox) {
    // A pidfd for each armed child: as many as the limit allows, and the program hears of a
    // child this guardian could not take.
    sys::raise_descriptor_limit();
    let mut bytes = Vec::new();
    // (Where there are no pidfds, `Process` has no values, and no child ever comes.)
    let mut children: ById<sys::Process> = ById::default();
    let mut paths: ById<PathBuf> = ById::default();
    loop {
        let open = inbox.receive(&mut bytes).unwrap_or(false);
        while let Some(message) = protocol::decode(&mut bytes) {
            match message {
                Message::Child { id, pid, group } => {
                    let process = inbox.process(pid, group);
                    inbox.answer(process.is_some());
                    if let Some(process) = process {
                        children.insert(id, process);
                    }
                }
                Message::Path { id, path } => {
                    paths.insert(id, path);
                }
                Message::Done { id } => {
                    children.remove(id);
                    paths.remove(id);
                }
            }
        }
        if !open {
            break;
        }
    }
    // All children at once (each grace period would otherwise add up), then the paths,
    // newest first: the children may have been writing into them.
    let children: Vec<_> = children.into_values().collect();
    stop(&children);
    let mut left: Vec<PathBuf> = paths.into_values().collect();
    left.reverse();
    remove_all(left);
}

/// Removes `paths` in their order, trying again for up to [`GRACE`] those that fail: what
/// the program could not remove may still be held for a moment by a process that is ending
/// (on Windows an open file, or a working directory, keeps a directory from going).
fn remove_all(mut paths: Vec<PathBuf>) {
    let deadline = Instant::now() + GRACE;
    loop {
        // A refused path (`InvalidInput`) is not tried again.
        paths.retain(|path| {
            remove(path).is_err_and(|error| error.kind() != io::ErrorKind::InvalidInput)
        });
        if paths.is_empty() || Instant::now() >= deadline {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
}
