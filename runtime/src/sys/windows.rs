//! Windows: console control events through `SetConsoleCtrlHandler`, a condition variable to
//! wake the signal thread, the C runtime's `atexit`, and `STATUS_CONTROL_C_EXIT` at the end.
//!
//! Windows runs the handler on a thread it creates in the process, so unlike a Unix signal
//! handler it may lock and wait. For `CTRL_CLOSE_EVENT`, `CTRL_LOGOFF_EVENT` and
//! `CTRL_SHUTDOWN_EVENT`, returning from the handler ends the process, so the handler does not
//! return: it waits until the cleanup has ended the process, at most [`CLOSE_DEADLINE`].

use std::io;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Condvar, Mutex, Once, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use windows_sys::core::BOOL;
use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;
use windows_sys::Win32::System::Threading::{GetCurrentProcess, Sleep, TerminateProcess};

use super::{Action, Caught};
use crate::Signal;

/// Ctrl-C, Ctrl-Break, the console window closing and the system shutting down.
///
/// Not `CTRL_LOGOFF_EVENT`: it also reaches services and programs of other sessions whenever
/// any user logs off (an interactive program of that user is ended before it is sent), so a
/// handler that ends the process on it kills a service at every logoff. `signals(logoff)`
/// opts in.
pub(crate) const DEFAULT_SIGNALS: &[Signal] = &[
    Signal::Interrupt,
    Signal::CtrlBreak,
    Signal::Close,
    Signal::Shutdown,
];

/// `STATUS_CONTROL_C_EXIT`: how the default console handler ends a process.
const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;

/// How long the handler holds a closing console open for the cleanup: below the 5 s that
/// Windows grants for `CTRL_CLOSE_EVENT`, `CTRL_LOGOFF_EVENT` and `CTRL_SHUTDOWN_EVENT`
/// (`SPI_GETHUNGAPPTIMEOUT`), so that the process ends deliberately rather than being killed.
pub(crate) const CLOSE_DEADLINE: Duration = Duration::from_millis(4_500);

pub(crate) fn raw_number(signal: Signal) -> Option<i32> {
    match signal {
        Signal::Interrupt => Some(0),
        Signal::CtrlBreak => Some(1),
        Signal::Close => Some(2),
        Signal::Logoff => Some(5),
        Signal::Shutdown => Some(6),
        Signal::Terminate | Signal::Hangup | Signal::Quit => None,
    }
}

static WOKEN: Mutex<bool> = Mutex::new(false);
static WAKE: Condvar = Condvar::new();

/// The signal thread sleeps here until the console handler wakes it.
pub(crate) struct Waker(());

// The same signatures as the Unix waker, which can fail and has state.
#[allow(clippy::unnecessary_wraps, clippy::unused_self)]
impl Waker {
    pub(crate) fn new() -> io::Result<Waker> {
        Ok(Waker(()))
    }

    /// Blocks, using no CPU, until the handler wakes the thread or `timeout` passes.
    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        let woken = WOKEN.lock().unwrap_or_else(PoisonError::into_inner);
        let mut woken = match timeout {
            Some(timeout) => {
                WAKE.wait_timeout_while(woken, timeout, |woken| !*woken)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => WAKE
                .wait_while(woken, |woken| !*woken)
                .unwrap_or_else(PoisonError::into_inner),
        };
        *woken = false;
    }
}

fn wake() {
    *WOKEN.lock().unwrap_or_else(PoisonError::into_inner) = true;
    WAKE.notify_all();
}

/// The events the handler answers for ([`Signal::code`] bits); others go to the next handler.
static SELECTED: AtomicU16 = AtomicU16::new(0);
static DELIVER: OnceLock<fn(Signal, u64) -> Action> = OnceLock::new();
static INSTALL: Once = Once::new();
static START: OnceLock<Instant> = OnceLock::new();

/// Runs `install`: console events cannot be lost while a handler is being added.
pub(crate) fn holding<R>(_signals: &[Signal], install: impl FnOnce() -> R) -> R {
    install()
}

/// Monotonic time in nanoseconds, counted from the first handler's installation.
pub(crate) fn now_ns() -> u64 {
    let start = START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Answers `signal` in the console handler.
pub(crate) fn catch(signal: Signal, deliver: fn(Signal, u64) -> Action) -> io::Result<Caught> {
    raw_number(signal).ok_or(io::ErrorKind::Unsupported)?;
    DELIVER.get_or_init(|| deliver);
    START.get_or_init(Instant::now);
    let mut installed = Ok(());
    INSTALL.call_once(|| {
        // SAFETY: `console_handler` has the signature Windows expects and lives for the whole
        // program; adding a handler has no other precondition.
        if unsafe { SetConsoleCtrlHandler(Some(console_handler), 1) } == 0 {
            installed = Err(io::Error::last_os_error());
        }
    });
    installed?;
    SELECTED.fetch_or(1_u16 << signal.code(), Ordering::AcqRel);
    Ok(Caught::Yes)
}

/// The handler routine, run by Windows on a thread it creates. `TRUE`: handled; `FALSE`: the
/// next handler (in the end, the default one) gets the event.
unsafe extern "system" fn console_handler(event: u32) -> BOOL {
    let Some(signal) = i32::try_from(event).ok().and_then(Signal::from_raw) else {
        return 0;
    };
    if SELECTED.load(Ordering::Acquire) & (1_u16 << signal.code()) == 0 {
        return 0;
    }
    let Some(deliver) = DELIVER.get() else {
        return 0;
    };
    match deliver(signal, now_ns()) {
        Action::Wake => wake(),
        Action::Nothing => {}
        Action::Die => die_by(signal),
    }
    if matches!(signal, Signal::Close | Signal::Logoff | Signal::Shutdown) {
        // Returning would end the process now: hold it open while the cleanup runs. The
        // signal thread ends the process when the cleanup is done; the deadline is the last
        // resort, well before Windows would kill the process itself.
        let deadline = Instant::now() + CLOSE_DEADLINE;
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        die_by(signal);
    }
    1
}

/// Calls the installed handler routine with `event` on this thread, the way Windows does on
/// the thread it creates; for tests, since wine does not deliver `CTRL_CLOSE_EVENT` itself.
/// Whether the handler answered `TRUE`.
#[allow(clippy::unnecessary_wraps)] // `None` is the Unix answer
#[cfg(feature = "test-hooks")]
pub(crate) fn run_console_handler(event: u32) -> Option<bool> {
    // SAFETY: the handler is a plain function of the program; calling it from any thread is
    // what Windows itself does.
    Some(unsafe { console_handler(event) } != 0)
}

/// The id of this process (Windows has no `fork`).
pub(crate) fn pid() -> u32 {
    std::process::id()
}

/// A number for the calling thread, unique among the live ones.
pub(crate) fn thread_id() -> u64 {
    // SAFETY: GetCurrentThreadId has no preconditions and cannot fail.
    u64::from(unsafe { windows_sys::Win32::System::Threading::GetCurrentThreadId() })
}

/// Always `false`: std parks a second exiting thread only on Linux.
pub(crate) fn parked_in_exit(_thread: u64) -> bool {
    false
}

/// Registers the hook that the C runtime's `exit` runs after `main` returns.
///
/// `std::process::exit` does not reach it on Windows: it calls `ExitProcess`, which skips the
/// C runtime's `atexit` list. A TLS callback would see `DLL_PROCESS_DETACH` on Windows itself,
/// but wine (where this crate's Windows tests run) never calls it, so that path is not
/// claimed: the README's guarantee table says so.
pub(crate) fn at_exit(hook: extern "C" fn()) -> io::Result<()> {
    extern "C" {
        fn atexit(hook: extern "C" fn()) -> i32;
    }
    // SAFETY: the C runtime's atexit takes any function that lives for the whole program;
    // `hook` is a plain function that never unwinds.
    if unsafe { atexit(hook) } == 0 {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::OutOfMemory, "atexit failed"))
    }
}

/// Ends the process the way the default console handler would: `STATUS_CONTROL_C_EXIT`.
pub(crate) fn die_by(_signal: Signal) -> ! {
    // SAFETY: TerminateProcess on the pseudo-handle of the current process has no other
    // precondition. It ends the process without running the C runtime's atexit list (so the
    // exit hook is not re-entered) and without DLL detach code under the loader lock.
    unsafe { TerminateProcess(GetCurrentProcess(), STATUS_CONTROL_C_EXIT) };
    // TerminateProcess only starts the termination of the calling process: wait for it.
    loop {
        // SAFETY: Sleep has no preconditions.
        unsafe { Sleep(u32::MAX) };
    }
}

// The guardian (`crate::guardian`): children in job objects, and the process that outlives
// the program for the paths.

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::os::windows::ffi::{OsStrExt as _, OsStringExt as _};
use std::os::windows::io::{AsRawHandle as _, FromRawHandle as _, OwnedHandle};
use std::os::windows::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::ptr;

use windows_sys::Win32::Foundation::{DuplicateHandle, DUPLICATE_SAME_ACCESS, WAIT_OBJECT_0};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation,
    SetInformationJobObject, TerminateJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
};
use windows_sys::Win32::System::Threading::{
    ExitProcess, GetProcessId, WaitForSingleObject, CREATE_BREAKAWAY_FROM_JOB,
    CREATE_NEW_PROCESS_GROUP, DETACHED_PROCESS,
};

/// Whether the guardian stops the children: not here, where a job object does it.
pub(crate) const GUARDIAN_KILLS: bool = false;

/// The variable that makes a copy of the program its guardian: `v1:` and the program's id.
const GUARDIAN_VARIABLE: &str = "ON_EXIT_GUARDIAN";
/// What the guardian writes once it is ready.
const READY: u8 = b'R';
/// How long the program waits for that: only there to catch a hang.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// A child in a job object of its own, which Windows kills when its last handle closes: when
/// the program ends, however it ends, since only the program holds it (not inheritable).
/// Processes the child starts from now on join the job; none may break away from it, since
/// the job does not allow `JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK` or `BREAKAWAY_OK`.
pub(crate) struct Process {
    job: OwnedHandle,
    process: OwnedHandle,
}

/// The child, in its job, or `None` if it has already ended.
pub(crate) fn watch(child: &Child) -> io::Result<Option<Process>> {
    let handle = child.as_raw_handle();
    // SAFETY: the child's process handle is open while `child` is borrowed.
    if unsafe { WaitForSingleObject(handle, 0) } == WAIT_OBJECT_0 {
        return Ok(None);
    }
    // SAFETY: no security attributes (so not inheritable) and no name.
    let job = unsafe { CreateJobObjectW(ptr::null(), ptr::null()) };
    if job.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: CreateJobObjectW returned a new handle that nothing else owns.
    let job = unsafe { OwnedHandle::from_raw_handle(job) };
    // SAFETY: all-zero is a valid JOBOBJECT_EXTENDED_LIMIT_INFORMATION (no limits).
    let mut limits: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    let size = u32::try_from(std::mem::size_of_val(&limits)).unwrap_or(u32::MAX);
    // SAFETY: the job handle is open; `limits` is the structure the class names, of `size`.
    let set = unsafe {
        SetInformationJobObject(
            job.as_raw_handle(),
            JobObjectExtendedLimitInformation,
            ptr::addr_of!(limits).cast(),
            size,
        )
    };
    if set == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both handles are open.
    if unsafe { AssignProcessToJobObject(job.as_raw_handle(), handle) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let mut process = ptr::null_mut();
    // SAFETY: duplicates the child's handle within this process, not inheritable, into
    // `process`; the pseudo-handle of the current process needs no closing.
    let duplicated = unsafe {
        DuplicateHandle(
            GetCurrentProcess(),
            handle,
            GetCurrentProcess(),
            &mut process,
            0,
            0,
            DUPLICATE_SAME_ACCESS,
        )
    };
    if duplicated == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: DuplicateHandle returned a new handle that nothing else owns.
    let process = unsafe { OwnedHandle::from_raw_handle(process) };
    Ok(Some(Process { job, process }))
}

impl Process {
    pub(crate) fn pid(&self) -> i32 {
        // SAFETY: the handle is open.
        i32::try_from(unsafe { GetProcessId(self.process.as_raw_handle()) }).unwrap_or(0)
    }

    /// Not asked on Windows: the job takes the child's own children.
    #[allow(clippy::unused_self)]
    pub(crate) fn leads_group(&self) -> bool {
        false
    }

    /// Terminates the child and every process in its job.
    pub(crate) fn stop(&self) {
        // SAFETY: the job handle is open. Exit code 1, as `Child::kill` gives.
        unsafe { TerminateJobObject(self.job.as_raw_handle(), 1) };
    }

    /// The same: Windows has no gentler way to end another console program for sure.
    pub(crate) fn kill(&self) {
        self.stop();
    }

    pub(crate) fn has_exited(&self) -> bool {
        // SAFETY: the handle is open.
        unsafe { WaitForSingleObject(self.process.as_raw_handle(), 0) == WAIT_OBJECT_0 }
    }
}

/// A path as the bytes sent to the guardian: its UTF-16 units, little endian.
pub(crate) fn path_bytes(path: &Path) -> Vec<u8> {
    path.as_os_str()
        .encode_wide()
        .flat_map(u16::to_le_bytes)
        .collect()
}

#[allow(clippy::needless_pass_by_value)] // the signature of the Unix one, which keeps them
pub(crate) fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    let wide: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    OsString::from_wide(&wide).into()
}

/// The program's end of the channel: the guardian's standard input, which reads to its end
/// when the program ends, however it ends (only the program holds this end).
pub(crate) struct Link {
    stdin: ChildStdin,
}

impl Link {
    pub(crate) fn send(&mut self, frame: &[u8], _process: Option<&Process>) -> io::Result<()> {
        self.stdin.write_all(frame)
    }
}

/// Starts the guardian: a copy of the program's own executable, which the hook below turns
/// into the guardian before its `main`, with no console (so that closing the program's
/// console does not end it) and, where allowed, outside the program's job.
pub(crate) fn start_guardian() -> io::Result<Link> {
    let executable = std::env::current_exe()?;
    let spawn = |flags| {
        Command::new(&executable)
            .env(GUARDIAN_VARIABLE, format!("v1:{}", std::process::id()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .creation_flags(flags)
            .spawn()
    };
    let alone = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
    let mut guardian = spawn(alone | CREATE_BREAKAWAY_FROM_JOB).or_else(|_| spawn(alone))?;
    // Its first byte, on a thread so that a guardian that never answers is caught.
    let mut stdout = guardian.stdout.take().ok_or(io::ErrorKind::BrokenPipe)?;
    let (answer, answered) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut byte = [0_u8];
        let _ = answer.send(stdout.read_exact(&mut byte).map(|()| byte[0]));
    });
    let stdin = guardian.stdin.take().ok_or(io::ErrorKind::BrokenPipe)?;
    match answered.recv_timeout(HANDSHAKE) {
        Ok(Ok(READY)) => Ok(Link { stdin }),
        Ok(Err(error)) => {
            let _ = guardian.kill();
            Err(error)
        }
        _ => {
            let _ = guardian.kill();
            Err(io::Error::new(io::ErrorKind::TimedOut, "it did not answer"))
        }
    }
}

/// Run by the C runtime before `main` in every process of a program that links this crate.
/// In all but the guardian it reads one environment variable and returns.
// Left out only by the benchmark harness, to measure what the hook costs.
#[cfg(not(on_exit_no_guardian_hook))]
#[used]
#[link_section = ".CRT$XCU"]
static GUARDIAN_HOOK: extern "C" fn() = guardian_hook;

extern "C" fn guardian_hook() {
    let Some(value) = std::env::var_os(GUARDIAN_VARIABLE) else {
        return;
    };
    if value.to_str().is_some_and(|value| value.starts_with("v1:")) {
        become_guardian();
    }
}

fn become_guardian() -> ! {
    let mut stdout = std::io::stdout();
    if stdout
        .write_all(&[READY])
        .and_then(|()| stdout.flush())
        .is_ok()
    {
        let inbox = Inbox {
            stdin: std::io::stdin(),
        };
        // (Model checking builds the state machine alone, without the guardian.)
        #[cfg(not(on_exit_loom))]
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::guardian::serve(inbox);
        }));
        #[cfg(on_exit_loom)]
        drop(inbox);
    }
    // SAFETY: ExitProcess has no preconditions; the guardian has nothing left to do.
    unsafe { ExitProcess(0) }
}

/// The guardian's end of the channel: its standard input.
pub(crate) struct Inbox {
    stdin: std::io::Stdin,
}

impl Inbox {
    /// Appends what the program sent to `bytes`. `false` once the program has ended and all
    /// it sent has been read.
    pub(crate) fn receive(&mut self, bytes: &mut Vec<u8>) -> io::Result<bool> {
        let mut buffer = [0_u8; 4096];
        match self.stdin.read(&mut buffer) {
            Ok(0) => Ok(false),
            Ok(read) => {
                bytes.extend_from_slice(&buffer[..read]);
                Ok(true)
            }
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// No child is sent to the guardian here.
    #[allow(clippy::unused_self)]
    pub(crate) fn process(&mut self, _pid: i32, _group: bool) -> Option<Process> {
        None
    }
}
