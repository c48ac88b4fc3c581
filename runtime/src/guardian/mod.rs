//! Work that must be done however the program ends, even by `SIGKILL`: [`kill_on_exit`] and
//! [`remove_on_exit`].
//!
//! Each call arms its work twice:
//!
//! - as a registered cleanup, for every ending the program sees (the work is done in the
//!   program, newest first with the other cleanups, children before paths, and the guardian
//!   is told once an item is done; a path that could not be removed stays armed there);
//! - with the guardian, for the endings no code of the program survives: `SIGKILL`, the OOM
//!   killer, `abort`, a crash. The guardian is a copy of the program's own executable,
//!   started by the first call, that the platform layer turns into the guardian before its
//!   `main` runs (`sys::start_guardian`). It waits, using no CPU, for the program's end (the
//!   process's, not its channel's: `exec` keeps the process), then does what was not done
//!   ([`serve`]), each item as the program was when it armed it, and exits.
//!
//! On Windows a child needs no guardian: it is put in a job object that kills it (and its own
//! children) when the program's last handle to the job closes, however the program ends.

// Where no process outlives the program (wasm32), only the program's half is used.
#![cfg_attr(not(any(unix, windows)), allow(dead_code, unused_imports))]

mod protocol;
mod remove;
mod serve;
#[allow(unsafe_code)] // the guardian's platform layer: its only `unsafe` code
mod sys;

use std::io;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

use self::protocol::Message;
pub(crate) use self::remove::remove;
pub(crate) use self::serve::serve;
use crate::context::context;
use crate::per_process::PerProcess;
use crate::{driver, Reason};

/// How long a child has after `SIGTERM` before `SIGKILL`.
pub(crate) const GRACE: Duration = Duration::from_secs(1);

/// Stops `child` when the program ends, however it ends: `SIGTERM`, then `SIGKILL` if it is
/// still alive one second later. On Windows it is terminated.
///
/// ```no_run
/// use std::process::Command;
///
/// fn main() -> std::io::Result<()> {
///     let mut server = Command::new("python3").args(["-m", "http.server"]).spawn()?;
///     on_exit::kill_on_exit(&mut server)?;
///     // ... even a `kill -9` of this program stops the server ...
///     Ok(())
/// }
/// ```
///
/// - If the child leads its own process group (`CommandExt::process_group(0)`) when this is
///   called, the whole group is signalled, so that its own children go too, even once the
///   child itself has ended and been reaped (Linux 6.9 or later; before, only while the child
///   has not been reaped). (On Windows, its children started after this call go with it.)
/// - On an ending the program sees, this runs as a registered cleanup (newest first with the
///   others, before the `#[on_exit]` handler): the first turn of an armed child, or of a
///   path armed with [`remove_on_exit`], stops every armed child at once, and waits for them
///   to end (one grace period for all; on Windows, for their whole jobs). On one it does
///   not see (`SIGKILL`, the OOM killer, `abort`, a crash), the guardian process started by
///   the first call does it within a second of the program's death (on Windows, the job
///   object does it at once).
/// - The guardian signals it with the rights the program has now (Linux): a child the program
///   could not signal by then (it dropped root since it started it) is left alone.
/// - A child that has already ended, or was already waited for, is not an error, and nothing
///   is ever sent to it: `try_wait` (which needs the `&mut`) says whether it was waited for,
///   and a pidfd (Linux) or the process handle (Windows) names the process itself, never a
///   number that another process may have been given since. So a group leader that has
///   already exited when this is called arms nothing, its group included: call it right
///   after `spawn`. And a child reaped behind the `Child`'s back (a library that reaps every
///   child with `waitpid(-1)`) cannot be told from another child of the program given its
///   number since: std's own `Child::kill` has the same limit.
/// - A child that ends (with its group) is forgotten at the next call: a program that starts
///   and stops children all its life holds a descriptor only for those still running.
///
/// # Errors
///
/// If the child cannot be watched (Unix systems other than Linux have no pidfds, nor has Linux
/// before 5.3; on Windows, the child may already be in a job that does not let it join
/// another), or the guardian process cannot be started, or it cannot take the child (it has no
/// descriptor left). Then nothing is armed.
pub fn kill_on_exit(child: &mut Child) -> io::Result<()> {
    match sys::watch(child)? {
        Some(process) => arm(Item::Child(process)),
        None => Ok(()),
    }
}

/// Removes `path` when the program ends, however it ends: the file, or the directory with
/// everything in it.
///
/// ```no_run
/// fn main() -> std::io::Result<()> {
///     let scratch = std::env::temp_dir().join(format!("job-{}", std::process::id()));
///     std::fs::create_dir(&scratch)?;
///     on_exit::remove_on_exit(&scratch)?;
///     // ... even a crash leaves no `job-*` directory behind ...
///     Ok(())
/// }
/// ```
///
/// - A relative path is resolved now, against the current directory.
/// - What the path names now is what goes. On Unix the directory that holds it is opened now
///   and kept open (one descriptor per armed path, in the program and in the guardian): the
///   entry of that name in that directory is removed, whatever the path means by then (after
///   a `chroot`, in another mount namespace, after the program moved). So that directory must
///   exist now; the path itself need not.
/// - The path names the entry itself: a symbolic link is removed, never followed, whether it
///   is `path` itself (a trailing `/` does not follow it either) or inside the tree; what it
///   points to stays. A path that is already gone at the end is fine.
/// - The guardian acts with the rights the program has now (Linux): its effective user and
///   group, and the supplementary groups and capabilities it can be seen to hold. A path
///   armed after dropping root is removed as the user the program became, never as root.
/// - On an ending the program sees, this runs as a registered cleanup (newest first with the
///   others, before the `#[on_exit]` handler), after every child armed with
///   [`kill_on_exit`] has been stopped. If the removal fails there, the guardian tries again
///   once the program has ended. On an ending the program does not see, the guardian process
///   started by the first call does it, after stopping the children.
///
/// # Errors
///
/// An [`io::ErrorKind::InvalidInput`] error, and nothing armed, for what `rm` refuses and
/// more (checked again before the removal, in case the name has come to mean one of them):
///
/// - the empty path (it would name the current directory: an unset variable is enough);
/// - a path whose last component is `.` or `..`, trailing separators aside (`dir/.`, `..`);
/// - a filesystem root: `/` under any name (`//`, a bind mount of it); on Windows a drive root
///   (`C:\`), `\` or `/` (the current drive's root), a share's root (`\\server\share`);
/// - the user's home directory, under any name: `$HOME` and the home directory of the real
///   and effective user in the user database (Windows: `%USERPROFILE%` and `%HOME%`).
///
/// Also an error if the current directory cannot be read (for a relative path), the directory
/// that holds the path cannot be opened (Unix), or the guardian process cannot be started, or
/// it cannot take the directory (it has no descriptor left). Then nothing is armed.
pub fn remove_on_exit(path: impl AsRef<Path>) -> io::Result<()> {
    let path = remove::armed_path(path.as_ref())?;
    let entry = sys::Entry::open(&path)?;
    arm(Item::Path(path, entry))
}

/// Something armed.
enum Item {
    Child(sys::Process),
    /// The path as armed (for messages), and what it named then.
    Path(PathBuf, sys::Entry),
    /// A terminal's recorded state: its descriptor goes with the frame, and the program
    /// restores it itself (`terminal.rs`), so no cleanup is registered for it.
    #[cfg(unix)]
    Terminal(std::os::fd::OwnedFd, Vec<u8>),
}

impl Item {
    /// The guardian's copy, or `None` where the guardian is not needed (a Windows child).
    /// With it, the rights the program holds as it sends it.
    fn message(&self, id: u64) -> Option<Message> {
        match self {
            Item::Child(process) if sys::GUARDIAN_KILLS => Some(Message::Child {
                id,
                rights: sys::current_rights(),
                pid: process.pid(),
                group: process.leads_group(),
            }),
            Item::Child(_) => None,
            Item::Path(path, _) => Some(Message::Path {
                id,
                rights: sys::current_rights(),
                path: path.clone(),
            }),
            #[cfg(unix)]
            Item::Terminal(_, state) => Some(Message::Terminal {
                id,
                state: state.clone(),
            }),
        }
    }

    /// The descriptor that goes with the message: the child's pidfd, the path's parent.
    fn descriptor(&self) -> Option<sys::Descriptor<'_>> {
        match self {
            Item::Child(process) => process.descriptor(),
            Item::Path(_, entry) => entry.descriptor(),
            #[cfg(unix)]
            Item::Terminal(terminal, _) => {
                use std::os::fd::AsFd as _;
                Some(terminal.as_fd())
            }
        }
    }

    fn process(&self) -> Option<&sys::Process> {
        match self {
            Item::Child(process) => Some(process),
            Item::Path(..) => None,
            #[cfg(unix)]
            Item::Terminal(..) => None,
        }
    }
}

/// Arms the guardian to put `terminal` back after the endings the program does not see, and
/// returns the id to [`disarm`] once the program has put it back itself. `None` where no
/// guardian does it (Windows, wasm32).
#[cfg_attr(not(unix), allow(clippy::unnecessary_wraps))] // Unix's can fail
pub(crate) fn arm_terminal(terminal: &crate::sys::Terminal) -> io::Result<Option<u64>> {
    #[cfg(unix)]
    {
        let item = Item::Terminal(terminal.fd().try_clone_to_owned()?, terminal.state());
        let mut armed = lock();
        let id = armed.next;
        armed.next += 1;
        if let Some(message) = item.message(id) {
            armed.tell(&message, item.descriptor())?;
        }
        armed.items.insert(id, (item, None));
        Ok(Some(id))
    }
    #[cfg(not(unix))]
    {
        let _ = terminal;
        Ok(None)
    }
}

/// The program did `id` itself: the guardian forgets it.
pub(crate) fn disarm(id: u64) {
    let mut armed = lock();
    armed.items.remove(id);
    armed.tell_done(id);
}

/// Values by id, in the order of their ids, as a `BTreeMap` would keep them but without its
/// code (it was a third of the runtime's build). Ids only grow and cleanups take the newest
/// first, so both ends are cheap. The ids are kept apart from the values, so that the search
/// is the same code whatever the values are.
pub(crate) struct ById<T> {
    /// In ascending order.
    ids: Vec<u64>,
    /// The value of each id, at the id's place in `ids`.
    values: Vec<T>,
}

impl<T> Default for ById<T> {
    fn default() -> Self {
        ById {
            ids: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl<T> ById<T> {
    pub(crate) fn insert(&mut self, id: u64, value: T) {
        match self.ids.binary_search(&id) {
            Ok(at) => self.values[at] = value,
            Err(at) => {
                self.ids.insert(at, id);
                self.values.insert(at, value);
            }
        }
    }

    pub(crate) fn remove(&mut self, id: u64) -> Option<T> {
        let at = self.ids.binary_search(&id).ok()?;
        self.ids.remove(at);
        Some(self.values.remove(at))
    }

    pub(crate) fn get(&self, id: u64) -> Option<&T> {
        let at = self.ids.binary_search(&id).ok()?;
        Some(&self.values[at])
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        let at = self.ids.binary_search(&id).ok()?;
        Some(&mut self.values[at])
    }

    /// Takes out every value `wanted` picks, oldest first. Moves nothing when none is picked
    /// (the common case, on every call).
    pub(crate) fn take_where(&mut self, mut wanted: impl FnMut(&T) -> bool) -> Vec<(u64, T)> {
        let mut taken = Vec::new();
        let mut at = 0;
        while at < self.values.len() {
            if wanted(&self.values[at]) {
                taken.push((self.ids.remove(at), self.values.remove(at)));
            } else {
                at += 1;
            }
        }
        taken
    }

    /// The ids, oldest first.
    pub(crate) fn ids(&self) -> &[u64] {
        &self.ids
    }

    /// The values, oldest first.
    pub(crate) fn into_values(self) -> Vec<T> {
        self.values
    }
}

/// What this process has armed, and its link to the guardian.
#[derive(Default)]
struct Armed {
    link: Option<sys::Link>,
    /// Each item, with its registered cleanup once it has one (taken back when a child is
    /// forgotten).
    items: ById<(Item, Option<driver::Registered>)>,
    next: u64,
}

/// What this process has armed: a forked child has its own, since the parent's lock may be
/// held by a thread the child does not have.
static ARMED: PerProcess<Mutex<Armed>> = PerProcess::new();

fn armed() -> &'static Mutex<Armed> {
    ARMED.get_or_make(|| Mutex::new(Armed::default()))
}

/// This process's [`Armed`], locked (consistent after every statement: a panic elsewhere
/// cannot break it).
fn lock() -> MutexGuard<'static, Armed> {
    armed().lock().unwrap_or_else(PoisonError::into_inner)
}

/// [`lock`] for a registered cleanup: `None` when the lock can never be had, because a
/// cleanup's `process::exit` ended every other thread (Windows) while one of them held it (it
/// was arming something). The item then stays with the guardian, which does it once the
/// program has ended.
fn lock_in_cleanup() -> Option<MutexGuard<'static, Armed>> {
    if !driver::others_gone() {
        return Some(lock());
    }
    match armed().try_lock() {
        Ok(armed) => Some(armed),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

fn arm(item: Item) -> io::Result<()> {
    let mut armed = lock();
    let forgotten = armed.forget_ended();
    let id = armed.next;
    armed.next += 1;
    let told = match item.message(id) {
        Some(message) => armed.tell(&message, item.descriptor()),
        None => Ok(()),
    };
    if told.is_ok() {
        armed.items.insert(id, (item, None));
    }
    drop(armed);
    for &cleanup in &forgotten {
        drop(driver::unregister(cleanup));
    }
    told?;
    let cleanup = driver::register(Box::new(move |_: Reason| done_here(id)));
    if let Some(cleanup) = cleanup {
        let mut armed = lock();
        if let Some((_, registered)) = armed.items.get_mut(id) {
            *registered = Some(cleanup);
        }
    }
    Ok(())
}

impl Armed {
    /// Forgets the children that have ended (with their groups), here and in the guardian,
    /// so that their descriptors are closed in both. Their registered cleanups, to take back.
    fn forget_ended(&mut self) -> Vec<driver::Registered> {
        let ended = self
            .items
            .take_where(|(item, _)| item.process().is_some_and(sys::Process::has_exited));
        let mut cleanups = Vec::with_capacity(ended.len());
        for (id, (_, cleanup)) in ended {
            if let Some(cleanup) = cleanup {
                cleanups.push(cleanup);
            }
            self.tell_done(id);
        }
        cleanups
    }

    /// Tells the guardian that item `id` needs nothing more from it.
    fn tell_done(&mut self, id: u64) {
        if let Some(link) = &mut self.link {
            let _ = link.send(&protocol::encode(&Message::Done { id }), None);
        }
    }

    /// Sends `message` to the guardian, starting one first if there is none, or if the one
    /// there was is gone (then everything still armed is sent to the new one too). An error
    /// if the guardian cannot be started, or refuses an item (it has no descriptor left).
    fn tell(
        &mut self,
        message: &Message,
        descriptor: Option<sys::Descriptor<'_>>,
    ) -> io::Result<()> {
        let frame = protocol::encode(message);
        if let Some(link) = &mut self.link {
            match link.send(&frame, descriptor) {
                Ok(taken) => return refused_unless(taken),
                // Alive but not answering (stopped?): dropping its channel would make it stop
                // every child now, so it is kept.
                Err(error) if error.kind() == io::ErrorKind::TimedOut => {
                    return Err(context(error, "on-exit's guardian process"))
                }
                Err(_) => {} // gone: another one is started
            }
        }
        self.link = None;
        let mut link = sys::start_guardian().map_err(not_started)?;
        for &id in self.items.ids() {
            let Some((item, _)) = self.items.get(id) else {
                continue;
            };
            if let Some(message) = item.message(id) {
                if !link.send(&protocol::encode(&message), item.descriptor())? {
                    driver::warn(format_args!(
                        "on-exit's new guardian process could not take a child or path armed before"
                    ));
                }
            }
        }
        let taken = link.send(&frame, descriptor)?;
        self.link = Some(link);
        refused_unless(taken)
    }
}

/// Why the guardian could not be started, said as the caller sees it, with the cause kept as
/// the `source()`.
fn not_started(error: io::Error) -> io::Error {
    context(error, "on-exit could not start its guardian process")
}

/// The error of a child or path the guardian could not take.
fn refused_unless(taken: bool) -> io::Result<()> {
    if taken {
        Ok(())
    } else {
        Err(io::Error::other(
            "on-exit's guardian process could not take it: it has no descriptor left (RLIMIT_NOFILE)",
        ))
    }
}

/// The registered cleanup of item `id`: does it here, then tells the guardian. The first
/// turn of a child or of a path stops every armed child at once: all share one grace period,
/// and a path goes only once the children that may have files open there, or be writing
/// into it, are gone. A path that could not be removed stays armed, for the guardian to try
/// again once the program has ended.
fn done_here(id: u64) {
    let Some(mut armed) = lock_in_cleanup() else {
        return;
    };
    let Some((item, cleanup)) = armed.items.remove(id) else {
        return;
    };
    let mut children = Vec::new();
    let path = match item {
        Item::Child(process) => {
            children.push(process);
            None
        }
        Item::Path(path, entry) => Some((path, entry)),
        // Never registered as a cleanup: the driver puts the terminal back after them all.
        #[cfg(unix)]
        Item::Terminal(..) => None,
    };
    // The other children, done here too.
    let mut others = Vec::new();
    for (other, (item, _)) in armed.items.take_where(|(item, _)| item.process().is_some()) {
        others.push(other);
        if let Item::Child(process) = item {
            children.push(process);
        }
    }
    drop(armed);
    if !children.is_empty() {
        stop(&children);
    }
    let mut done = true;
    if let Some((path, entry)) = path {
        if let Err(error) = remove(&entry, &path) {
            driver::warn(format_args!("could not remove {}: {error}", path.display()));
            if let Some(mut armed) = lock_in_cleanup() {
                armed.items.insert(id, (Item::Path(path, entry), cleanup));
            }
            done = false;
        }
    }
    let Some(mut armed) = lock_in_cleanup() else {
        return;
    };
    if done {
        armed.tell_done(id);
    }
    for &other in &others {
        armed.tell_done(other);
    }
}

/// Stops `children`: `SIGTERM` to all, `SIGKILL` to all after [`GRACE`] unless all have
/// ended by then, and a moment more for those to go.
pub(crate) fn stop(children: &[sys::Process]) {
    for child in children {
        child.stop();
    }
    let all_exited = || {
        for child in children {
            if !child.has_exited() {
                return false;
            }
        }
        true
    };
    if !ended(all_exited, GRACE) {
        for child in children {
            child.kill();
        }
        ended(all_exited, GRACE);
    }
}

/// Whether every child has ended within `limit`, as `all_exited` says. Looks every few
/// milliseconds: this only runs at the end, and a few looks cost less than a thread per child.
fn ended(all_exited: impl Fn() -> bool, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if all_exited() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests;
