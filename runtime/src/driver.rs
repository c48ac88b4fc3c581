//! Wires the process's one [`Runtime`] to the operating system: the guard at the top of
//! `main`, the `atexit` hook, the panic hook of `panic = "abort"` builds, the timeout
//! watchdog; the signal handlers and their thread are `signal_thread.rs`'s. Every ending goes
//! through [`conclude`].
//!
//! **Fork.** The runtime belongs to the process that installed it ([`PerProcess`]). A child
//! made by `fork` inherits a copy but not the threads serving it, and the copy's locks may be
//! held by threads that no longer exist there, so the child never touches it: its signals are
//! handled as if on-exit were not there (the handlers installed before on-exit's, or after it,
//! run; with none, the default action), and the cleanups inherited from the parent never run
//! in it. A child that registers a cleanup of its own gets a runtime of its own, with the
//! parent's settings and a signal thread of its own.

use std::cell::Cell;
use std::ffi::CStr;
use std::fmt;
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use crate::per_process::{this_process, PerProcess};
use crate::registry::{Added, Boxed, Id};
use crate::runtime::{Host, Runtime, Settings};
use crate::sys;
use crate::{exec, output, signal_thread};
use crate::{Reason, Signal};

/// The runtime of the process.
static RUNTIME: PerProcess<Runtime> = PerProcess::new();
/// The process ([`this_process`]) of the thread installing a runtime, 0 when none is: a lock
/// that a forked child, where the holder may not exist, can take over.
static INSTALLING: AtomicU64 = AtomicU64::new(0);
/// The hooks that live in the program's memory and so are inherited by a forked child: the
/// `atexit` hook, the panic hook and the signal handlers. Installed once.
static HOOKED: AtomicBool = AtomicBool::new(false);
thread_local! {
    /// Set on a thread while it runs a cleanup: a cleanup that calls `process::exit` reaches
    /// the `atexit` hook on this thread, which must not wait for itself.
    static IN_CLEANUP: Cell<bool> = const { Cell::new(false) };
}

/// The settings with nothing said: the platform's default signals, no timeout, not graceful.
pub(crate) fn default_settings() -> Settings {
    Settings {
        signals: sys::DEFAULT_SIGNALS,
        timeout: None,
        graceful: false,
    }
}

/// This process's runtime, if it has one.
pub(crate) fn runtime() -> Option<&'static Runtime> {
    RUNTIME.get()
}

/// Installs the runtime with `settings` and `cleanup` registered first (the attribute, the
/// builder). If the process already had a runtime (a `register` call came first), `cleanup`
/// joins it and the settings are ignored, with a warning.
pub(crate) fn install(settings: Settings, cleanup: Boxed) {
    let (installed, _) = acquire(|_| settings, cleanup);
    if !installed {
        warn(format_args!(
            "the runtime was already installed; these options are ignored"
        ));
    }
}

/// A cleanup registered by [`register`]: where, and by which process (a forked child's copy
/// of a parent's registration names a slot of the parent's runtime, not of its own).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Registered {
    process: u64,
    id: Id,
}

/// Installs the runtime with the default settings if the process has none yet (for `exec`,
/// which must catch the signals it passes on).
pub(crate) fn ensure_installed() {
    if runtime().is_none() {
        let _ = register(Box::new(|_: Reason| {}));
    }
}

/// Adds a cleanup, installing the runtime first if the process has none (with the defaults,
/// or in a forked child its parent's settings). A cleanup added after the cleanups started
/// runs at once, on this thread.
pub(crate) fn register(cleanup: Boxed) -> Option<Registered> {
    let settings =
        |inherited: Option<&Runtime>| inherited.map_or_else(default_settings, |r| r.settings);
    let id = acquire(settings, cleanup).1?;
    Some(Registered {
        process: this_process(),
        id,
    })
}

/// Registers `cleanup` in the process's runtime, creating and starting the runtime first if
/// there is none. Whether it was created now, and the registration.
///
/// The cleanup is registered before any handler can see the runtime: a signal that arrives
/// the moment its handler is installed finds it.
fn acquire(
    settings: impl FnOnce(Option<&'static Runtime>) -> Settings,
    cleanup: Boxed,
) -> (bool, Option<Id>) {
    let process = this_process();
    loop {
        if let Some(runtime) = runtime() {
            return (false, add(runtime, cleanup));
        }
        let holder = INSTALLING.load(Ordering::Acquire);
        if holder == process {
            // Another thread of this process is installing: it is a matter of microseconds.
            thread::yield_now();
            continue;
        }
        // 0, or a parent left by a fork in the middle of an install.
        if INSTALLING
            .compare_exchange(holder, process, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            break;
        }
    }
    // Another thread may have published a runtime between the first look and the lock.
    if let Some(runtime) = runtime() {
        INSTALLING.store(0, Ordering::Release);
        return (false, add(runtime, cleanup));
    }
    let fresh = Runtime::new(settings(RUNTIME.inherited()));
    // Registered before the runtime is published: a fresh runtime takes every cleanup.
    let id = add(&fresh, cleanup);
    let runtime = RUNTIME.publish(fresh);
    INSTALLING.store(0, Ordering::Release);
    start(runtime);
    (true, id)
}

fn add(runtime: &Runtime, cleanup: Boxed) -> Option<Id> {
    match runtime.register(cleanup) {
        Added::Queued(id) => Some(id),
        Added::Late(cleanup, reason) => {
            run_one(cleanup, reason);
            None
        }
    }
}

/// Takes back a registered cleanup that has not started, for a scoped cleanup. Nothing if
/// this process did not register it (a forked child dropping its parent's guard).
pub(crate) fn unregister(registered: Registered) -> Option<Boxed> {
    if registered.process != this_process() {
        return None;
    }
    runtime()?.unregister(registered.id)
}

/// The first signal that asked the process to end, if one did.
pub(crate) fn request() -> Option<Signal> {
    // Read only, and in `requested()`'s hot loop: no system call.
    RUNTIME.get_cached()?.request()
}

/// Hooks the program (once: a forked child inherits the hooks), then starts the threads of
/// this process.
fn start(runtime: &'static Runtime) {
    if !HOOKED.swap(true, Ordering::AcqRel) {
        // Unsupported: a target without `exit` hooks (wasm32), documented.
        if let Err(error) = sys::at_exit(at_exit).or_else(unsupported_is_fine) {
            warn(format_args!(
                "cannot register the exit hook ({error}); the cleanup will not run on process::exit"
            ));
        }
        if let Err(error) = sys::at_exit_in_cleanup(exited_in_cleanup) {
            warn(format_args!(
                "cannot watch the cleanups' exits ({error}); a cleanup's process::exit will skip the others"
            ));
        }
        #[cfg(panic = "abort")]
        chain_panic_hook();
        signal_thread::catch(runtime.settings.signals);
    }
    if signal_thread::caught() {
        signal_thread::start(runtime);
    }
    if let Some(limit) = runtime.settings.timeout {
        if let Err(error) = spawn(c"on-exit-timeout", Box::new(move || watch(runtime, limit))) {
            warn(format_args!(
                "cannot start the timeout watchdog ({error}); a slow cleanup will not be cut off"
            ));
        }
    }
}

fn unsupported_is_fine(error: std::io::Error) -> std::io::Result<()> {
    if error.kind() == std::io::ErrorKind::Unsupported {
        Ok(())
    } else {
        Err(error)
    }
}

/// The `atexit` hook: `process::exit` on any thread, or the end of the process after `main`.
extern "C" fn at_exit() {
    // No panic may cross this `extern "C"` boundary; `conclude` catches the cleanups'.
    conclude_with(Reason::Exited, &Process::EXITING);
}

/// A cleanup called `process::exit` on Windows: `ExitProcess` has already ended every other
/// thread and skips the `atexit` hook, but still calls this on the cleanup's own thread (see
/// `sys::at_exit_in_cleanup`). The cleanups still queued run here, then `ExitProcess` goes on
/// with the cleanup's code, or the process dies by the signal that started the cleanups.
fn exited_in_cleanup() {
    OTHERS_GONE.store(true, Ordering::Release);
    conclude_with(Reason::Exited, &Process::ORDINARY);
}

/// Set once a cleanup's `process::exit` has ended every other thread (Windows): see
/// [`others_gone`].
static OTHERS_GONE: AtomicBool = AtomicBool::new(false);

/// Whether every other thread of the process is gone (Windows, inside a cleanup's
/// `ExitProcess`): a lock one of them held will never be released, so the cleanups still to
/// run must not wait for one (`guardian::done_here` leaves its work to the guardian then).
pub(crate) fn others_gone() -> bool {
    OTHERS_GONE.load(Ordering::Acquire)
}

/// `panic = "abort"`: the panic never unwinds to `main`'s guard, but the panic hook still
/// runs, on the panicking thread, before the abort. Chained after the hook already set (the
/// default one prints the message); a hook set later keeps this one if it chains too.
#[cfg(panic = "abort")]
fn chain_panic_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        previous(info);
        conclude(Reason::Panicked);
        // The abort that follows is a death by `SIGABRT`: the last output goes first.
        last_words();
    }));
}

/// The watchdog for the `timeout` option: sleeps until a cleanup started by a signal runs,
/// then ends the process by that signal if the cleanup is not done within `limit`.
fn watch(runtime: &Runtime, limit: Duration) {
    if let Some(signal) = runtime.machine.overran(limit) {
        warn(format_args!(
            "the cleanup did not finish within its timeout of {}ms; ending by {signal}",
            // In u64: formatting a u128 would add 1.5 KiB to every binary.
            u64::try_from(limit.as_millis()).unwrap_or(u64::MAX)
        ));
        last_words();
        sys::die_by(signal);
    }
}

/// The one path every ending takes (see [`Runtime::conclude`]): runs the cleanups if nobody
/// has, or waits for the ones already running; then, if a signal asked the process to end,
/// ends it by that signal. Nothing in a forked child that has no runtime of its own.
pub(crate) fn conclude(reason: Reason) {
    conclude_with(reason, &Process::ORDINARY);
}

fn conclude_with(reason: Reason, host: &Process) {
    // `exit` in a child sharing its parent's memory (`clone` with `CLONE_VM`) must not run
    // the parent's cleanups, nor touch the runtime its parent uses.
    if !sys::owns_its_memory() {
        return;
    }
    // The program's own ending waits for the child `exec` runs, if another thread runs it.
    exec::wait_for_child();
    let Some(runtime) = runtime() else {
        return;
    };
    let signal = runtime.conclude(reason, host);
    if signal.is_some() {
        last_words();
    }
    // After the cleanups: one that puts the terminal back its own way goes first.
    if let Some(work) = AFTER_CLEANUPS.get() {
        work();
    }
    if let Some(signal) = signal {
        sys::die_by(signal);
    }
}

/// What every ending does once the cleanups are done, if a feature asked for it (the
/// terminal's restore): through a pointer, so that a program that never calls
/// `restore_terminal` does not carry its code (nor the guardian's, which it reaches).
static AFTER_CLEANUPS: OnceLock<fn()> = OnceLock::new();

/// Sets [`AFTER_CLEANUPS`] (once: one feature uses it).
pub(crate) fn after_cleanups(work: fn()) {
    let _ = AFTER_CLEANUPS.set(work);
}

/// What the process does last before it ends by a signal or through `on_exit::exit`, once
/// the cleanups are done: the output still in std's stdout buffer is written (bounded: see
/// [`output::flush_stdout`]).
pub(crate) fn last_words() {
    output::flush_stdout();
}

/// What the ending path needs from this process.
/// (Whether every other thread is gone is the process's own state: [`others_gone`].)
struct Process {
    /// This thread is inside `exit` (the exit hook).
    exiting: bool,
}

impl Process {
    const ORDINARY: Process = Process { exiting: false };
    const EXITING: Process = Process { exiting: true };
}

impl Host for Process {
    fn hand_off(&self, reason: Reason) -> bool {
        let Some(runtime) = runtime().filter(|_| self.exiting) else {
            return false;
        };
        let run = move || runtime.run_queued(reason, &Process::ORDINARY);
        if spawn(c"on-exit-cleanup", Box::new(run)).is_ok() {
            return true;
        }
        // No thread to be had (the process is at its limit): the signal thread, if there is
        // one, runs them. Run here, a cleanup's own `exit` would abort (std forbids a
        // re-entrant `exit`); there, it only parks that thread.
        signal_thread::hand_off(reason)
    }

    fn run(&self, cleanup: Boxed, reason: Reason) -> bool {
        let process = this_process();
        run_one(cleanup, reason);
        this_process() == process
    }

    fn in_cleanup(&self) -> bool {
        IN_CLEANUP.with(Cell::get)
    }

    fn thread(&self) -> u64 {
        sys::thread_id()
    }

    fn parked_in_exit(&self, thread: u64) -> bool {
        // A thread that was running the cleanups when the others went will never finish.
        others_gone() || sys::parked_in_exit(thread)
    }

    fn others_gone(&self) -> bool {
        others_gone()
    }
}

/// Starts one of the runtime's threads, detached (see `sys::spawn`: not std's spawn, which
/// would add more to every binary than the rest of on-exit).
pub(crate) fn spawn(name: &'static CStr, work: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
    sys::spawn(name, work)
}

/// Runs one cleanup; a panic in it is reported and does not stop the others.
fn run_one(cleanup: Boxed, reason: Reason) {
    let outer = IN_CLEANUP.with(|flag| flag.replace(true));
    if !outer {
        sys::mark_cleanup(true);
    }
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| cleanup(reason)));
    if !outer {
        sys::mark_cleanup(false);
    }
    IN_CLEANUP.with(|flag| flag.set(outer));
    if outcome.is_err() {
        // The panic hook has already printed the message.
        warn(format_args!(
            "a cleanup panicked; the process ends as if it had returned"
        ));
    }
}

/// Runs a scoped cleanup early, outside the process's ending.
pub(crate) fn run_early(cleanup: Boxed) {
    // A scoped cleanup takes no reason; the one passed here is never seen.
    cleanup(Reason::Returned);
}

/// Runs the cleanups still queued, for the signal thread serving a hand-off.
pub(crate) fn run_queued(runtime: &'static Runtime, reason: Reason) {
    runtime.run_queued(reason, &Process::ORDINARY);
}

/// Ends the process the way `signal` would have (see `sys::die_by`).
pub(crate) fn die_by(signal: Signal) -> ! {
    sys::die_by(signal)
}

/// For the project's Windows tests: calls the console handler the way Windows does.
#[cfg(feature = "__test-hooks")]
pub(crate) fn run_console_handler(event: u32) -> Option<bool> {
    sys::run_console_handler(event)
}

/// The runtime's own messages: never panic, even when stderr is gone (a closed terminal).
pub(crate) fn warn(message: fmt::Arguments<'_>) {
    // Once a cleanup's `ExitProcess` has ended the other threads (Windows), one of them may
    // have held stderr's lock, which would never be released: the warning is dropped then.
    if others_gone() {
        return;
    }
    let _ = writeln!(std::io::stderr(), "on-exit: {message}");
}
