//! [`exec`]: a command as the program's last act, ended the way the command ended.
//!
//! While the child runs, the signal handlers do not ask the process to end: a signal the
//! terminal sent (to the whole foreground group, the child included) is dropped, and one a
//! process sent to this process alone is passed on to the child, once ([`intercept`]). Every
//! other ending of the program waits for the child ([`wait_for_child`]). Then the cleanups
//! run, and the process ends with the child's code or dies by its signal.

use std::io;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use crate::handoff::{Handoff, Seen};
use crate::sys::{self, Action, Ending, Sender};
use crate::{driver, Reason, Signal};

/// The child `exec` waits for, and the signals that came while it was being started.
static CHILD: Handoff = Handoff::new();
/// The thread running `exec` (`sys::thread_id`), whose own ending does not wait for itself.
static RUNNER: AtomicU64 = AtomicU64::new(0);
/// Set by the `exec` that runs the process's command, for good once its child started: a
/// second call (another thread, at the same time or later) is refused without spawning.
static TAKEN: AtomicBool = AtomicBool::new(false);
/// Whether this process leads its session, as `exec` starts.
static LEADER: AtomicBool = AtomicBool::new(false);

/// Runs `command` as the program's last act: spawns it, waits for it, runs the cleanups (told
/// [`Reason::Exited`]), then ends the process the way the child ended: killed by the same
/// signal (a shell's `$?` is 130 after the child's `SIGINT`), or with its exit code (on
/// Windows, its exit code). Returns only if it did not start the command (see Errors).
///
/// ```no_run
/// use std::process::Command;
///
/// #[on_exit::on_exit(|| eprintln!("the wrapped command is done"))]
/// fn main() {
///     let error = on_exit::exec(Command::new("make").arg("test"));
///     eprintln!("cannot run make: {error}");
///     on_exit::exit(127);
/// }
/// ```
///
/// While the child runs:
///
/// - a signal the terminal sent to the whole foreground group (Ctrl-C, Ctrl-\\, a hang-up;
///   on Windows every console event) reached the child too: it is not sent again, and it
///   does not end this process: the child decides (a hang-up reaches a session leader
///   alone: a program that leads its session passes it on). One that comes while the child
///   is being started, before `exec` knows its number, may or may not have reached it: it is
///   passed on once the child runs, so the child gets it once or, in that window of
///   microseconds, twice, never not at all;
/// - a signal sent to this process alone (a supervisor's `kill PID`) is passed on to the
///   child, once, and does not end this process either;
/// - any other ending of the program (`process::exit` on another thread, say) waits until
///   the child has ended.
///
/// The signals are those the runtime catches (the attribute's, or the default ones: `exec`
/// installs the runtime if nothing did). On Linux the two kinds are told apart by who sent
/// them (`si_code`): a `kill` of the whole process group by another process (as an
/// interactive shell does to its jobs when its terminal closes) reaches the child twice,
/// from the group and passed on.
///
/// A child that stops itself stops this process by the same signal (a shell sees the job
/// stopped); continuing this process continues the child. `SIGCHLD`, if ignored, is set to
/// its default action first (the kernel would reap the child and lose its status).
///
/// # Errors
///
/// Returned, and nothing else done, if the command cannot be started, if a signal has
/// already asked the program to end (a cleanup that signal started calls `exec`), or if
/// another call runs the program's command already (another thread).
pub fn exec(command: &mut Command) -> io::Error {
    driver::ensure_installed();
    if TAKEN.swap(true, Ordering::AcqRel) {
        return io::Error::other(
            "on_exit::exec cannot run the command: another call of it already runs the program's last command",
        );
    }
    RUNNER.store(sys::thread_id(), Ordering::Release);
    LEADER.store(sys::leads_session(), Ordering::Release);
    CHILD.start();
    // From here on the signals wait for the child: a request seen now came before, and the
    // program already ends by it (this is a cleanup it started, or `main` after it).
    if let Some(signal) = driver::request() {
        return refuse(io::Error::other(format!(
            "on_exit::exec cannot run the command: the program is already ending by {signal}"
        )));
    }
    // An ignored SIGCHLD (inherited SIG_IGN) would let the kernel reap the child unasked,
    // and its status would be lost.
    let reaping = sys::child_signal_default();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            reaping.put_back();
            return refuse(error);
        }
    };
    let pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
    pass_on(pid, CHILD.publish(pid));
    // The child is waited for without being reaped, so that the number a signal is passed on
    // to stays the child's until `CHILD` no longer names it.
    let unreaped = sys::wait_unreaped(&child);
    CHILD.end();
    let ending = match unreaped.and_then(|()| child.wait()) {
        Ok(status) => sys::ended_by(status),
        Err(error) => {
            driver::warn(format_args!(
                "cannot wait for the child process ({error}); ending with exit code 1"
            ));
            Ending::Code(1)
        }
    };
    driver::conclude(Reason::Exited);
    driver::last_words();
    match ending {
        Ending::Code(code) => std::process::exit(code),
        Ending::Signal(raw) => sys::die_like_a_child(raw),
    }
}

/// Undoes the start of an `exec` whose command does not run, and returns `error`: another
/// call may run one.
fn refuse(error: io::Error) -> io::Error {
    // There is no child: what came meanwhile is this process's own, as usual.
    let pending = CHILD.publish(0);
    pass_on(
        i32::try_from(std::process::id()).unwrap_or(i32::MAX),
        pending,
    );
    TAKEN.store(false, Ordering::Release);
    error
}

/// Called in the signal handler (atomics only): what to do with `signal` while `exec` runs a
/// child, `None` when it does not.
pub(crate) fn intercept(signal: Signal, sender: Sender) -> Option<Action> {
    match CHILD.see(1_u64 << signal.code()) {
        Seen::Own => None,
        Seen::Kept => Some(Action::Nothing),
        Seen::PassOn(pid) => Some(Action::Forward(pid)),
        Seen::Running(pid) => Some(match sender {
            // A hang-up reaches the session leader alone: the child gets it only once the
            // leader is gone. Pass it on.
            Sender::Terminal if signal == Signal::Hangup && LEADER.load(Ordering::Acquire) => {
                Action::Forward(pid)
            }
            // The terminal sent it to our group: the child has it too, unless it is in a
            // group of its own (`process_group(0)`, `setsid`), which the terminal did not
            // reach.
            Sender::Terminal if sys::shares_our_group(pid) => Action::Nothing,
            Sender::Terminal | Sender::Process => Action::Forward(pid),
        }),
    }
}

/// Passes on the `pending` signals to `pid`: the child, or this process if none started.
fn pass_on(pid: i32, pending: u64) {
    for &signal in &Signal::ALL {
        if pending & (1_u64 << signal.code()) != 0 {
            sys::pass_on(pid, signal);
        }
    }
}

/// Waits until the child `exec` runs has ended, unless this is the thread running `exec`.
pub(crate) fn wait_for_child() {
    while CHILD.has_child() && RUNNER.load(Ordering::Acquire) != sys::thread_id() {
        thread::sleep(Duration::from_millis(5));
    }
}
