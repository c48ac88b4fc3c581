//! The guardian on Windows: children in job objects, which Windows kills when the program's
//! last handle closes, and a copy of the program that outlives it for the paths.

use std::ffi::OsString;
use std::io;
use std::io::{Read as _, Write as _};
use std::os::windows::ffi::{OsStrExt as _, OsStringExt as _};
use std::os::windows::io::{AsRawHandle as _, FromRawHandle as _, OwnedHandle};
use std::os::windows::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::ptr;
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    DuplicateHandle, DUPLICATE_SAME_ACCESS, INVALID_HANDLE_VALUE, WAIT_OBJECT_0,
};
use windows_sys::Win32::Storage::FileSystem::{GetFileType, FILE_TYPE_PIPE};
use windows_sys::Win32::System::Console::{GetStdHandle, STD_INPUT_HANDLE};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectBasicAccountingInformation,
    JobObjectExtendedLimitInformation, QueryInformationJobObject, SetInformationJobObject,
    TerminateJobObject, JOBOBJECT_BASIC_ACCOUNTING_INFORMATION,
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
};
use windows_sys::Win32::System::Pipes::GetNamedPipeServerProcessId;
use windows_sys::Win32::System::SystemInformation::GetSystemWindowsDirectoryW;
use windows_sys::Win32::System::Threading::{
    ExitProcess, GetCurrentProcess, GetProcessId, OpenProcess, QueryFullProcessImageNameW,
    WaitForSingleObject, CREATE_BREAKAWAY_FROM_JOB, CREATE_NEW_PROCESS_GROUP, DETACHED_PROCESS,
    PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION,
};

/// Whether the guardian stops the children: not here, where a job object does it.
pub(crate) const GUARDIAN_KILLS: bool = false;

/// The variable that tells a copy of the program it is meant to be the guardian: `v1:` and
/// the program's id. It only says so: the proof is the pipe on its standard input (see
/// `guardian_hook`).
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
pub(crate) fn watch(child: &mut Child) -> io::Result<Option<Process>> {
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
    #[allow(clippy::unused_self)]
    pub(crate) fn descriptor(&self) -> Option<super::Descriptor<'_>> {
        None
    }

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

    /// Whether it has ended, and so has every process in its job.
    pub(crate) fn has_exited(&self) -> bool {
        // SAFETY: the handle is open.
        let ended = unsafe { WaitForSingleObject(self.process.as_raw_handle(), 0) };
        if ended != WAIT_OBJECT_0 {
            return false;
        }
        // SAFETY: all-zero is a valid JOBOBJECT_BASIC_ACCOUNTING_INFORMATION.
        let mut accounting: JOBOBJECT_BASIC_ACCOUNTING_INFORMATION = unsafe { std::mem::zeroed() };
        let size = u32::try_from(std::mem::size_of_val(&accounting)).unwrap_or(u32::MAX);
        // SAFETY: the job handle is open; `accounting` is the structure the class names, of
        // `size` bytes; no length is asked back.
        let queried = unsafe {
            QueryInformationJobObject(
                self.job.as_raw_handle(),
                JobObjectBasicAccountingInformation,
                ptr::addr_of_mut!(accounting).cast(),
                size,
                ptr::null_mut(),
            )
        };
        // Unknown: kept, since forgetting it closes the job, which kills what is in it.
        queried != 0 && accounting.ActiveProcesses == 0
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
    /// Sends `frame`; always taken (no descriptor is sent to the guardian here).
    pub(crate) fn send(
        &mut self,
        frame: &[u8],
        _descriptor: Option<super::Descriptor<'_>>,
    ) -> io::Result<bool> {
        self.stdin.write_all(frame).map(|()| true)
    }
}

/// Nothing to raise: handles have no per-process limit like Unix descriptors.
pub(crate) fn raise_descriptor_limit() {}

/// Starts the guardian: a copy of the program's own executable, which the hook below turns
/// into the guardian before its `main`, with no console (so that closing the program's
/// console does not end it) and, where allowed, outside the program's job.
pub(crate) fn start_guardian() -> io::Result<Link> {
    let executable = std::env::current_exe()?;
    let spawn = |flags| {
        let mut command = Command::new(&executable);
        if let Some(directory) = guardian_directory() {
            command.current_dir(directory);
        }
        command
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

/// Where the guardian runs: the Windows folder, as the system names it
/// (`GetSystemWindowsDirectoryW`, not `%SystemRoot%`, which the program's parent may have
/// cleared), never the program's working directory, which Windows keeps from being removed
/// while a process has it as its own (the Unix guardian moves to `/`).
fn guardian_directory() -> Option<PathBuf> {
    let mut name = vec![0_u16; 32_768];
    let size = u32::try_from(name.len()).unwrap_or(u32::MAX);
    // SAFETY: `name` has room for `size` units; the call writes at most that many.
    let length = unsafe { GetSystemWindowsDirectoryW(name.as_mut_ptr(), size) };
    if length == 0 || length >= size {
        return None;
    }
    name.truncate(usize::try_from(length).ok()?);
    let system = PathBuf::from(OsString::from_wide(&name));
    (system.is_absolute() && system.is_dir()).then_some(system)
}

/// Run by the C runtime before `main` in every process of a program that links this crate.
/// In all but the guardian it reads one environment variable and returns.
// Left out only by the benchmark harness, to measure what the hook costs.
#[cfg(not(on_exit_no_guardian_hook))]
#[used]
#[link_section = ".CRT$XCU"]
static GUARDIAN_HOOK: extern "C" fn() = guardian_hook;

/// Turns this process into the guardian only when the program proves it started it: the
/// variable only says "meant to be the guardian of process N"; the proof is the standard
/// input, a pipe whose server end belongs to process N (`GetNamedPipeServerProcessId`),
/// which runs the very executable this process runs. A leaked or forged variable (stdin at
/// its end, a console, a pipe from another process) changes nothing: `main` runs.
extern "C" fn guardian_hook() {
    let Some(value) = std::env::var_os(GUARDIAN_VARIABLE) else {
        return;
    };
    let Some(program) = value.to_str().and_then(parse) else {
        return;
    };
    if !claimed(program) {
        return;
    }
    // Meant to be the guardian: never `main`. Without the proof, end quietly.
    if same_executable(program) {
        become_guardian();
    }
    // SAFETY: ExitProcess has no preconditions.
    unsafe { ExitProcess(1) }
}

/// The program's id in the variable's value, `v1:<id>` and nothing else.
fn parse(value: &str) -> Option<u32> {
    let digits = value.strip_prefix("v1:")?;
    let plain = !digits.starts_with('0') && digits.bytes().all(|byte| byte.is_ascii_digit());
    plain.then(|| digits.parse().ok()).flatten()
}

/// Whether the standard input is a pipe whose server end is held by `program`: what the
/// program gives the copy it starts (std makes the parent's end the server).
fn claimed(program: u32) -> bool {
    // SAFETY: GetStdHandle and GetFileType take a number and a handle (maybe invalid, then
    // they fail); GetNamedPipeServerProcessId writes one u32.
    unsafe {
        let stdin = GetStdHandle(STD_INPUT_HANDLE);
        if stdin.is_null() || stdin == INVALID_HANDLE_VALUE || GetFileType(stdin) != FILE_TYPE_PIPE
        {
            return false;
        }
        let mut server = 0_u32;
        GetNamedPipeServerProcessId(stdin, &mut server) != 0 && server == program
    }
}

/// Whether process `program` runs the same executable as this one (the full image names,
/// compared without regard to ASCII case, as Windows names files).
fn same_executable(program: u32) -> bool {
    // SAFETY: OpenProcess takes numbers; the handle it returns, if any, is owned below.
    let handle = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, program) };
    if handle.is_null() {
        return false;
    }
    // SAFETY: OpenProcess returned a new handle that nothing else owns.
    let theirs = unsafe { OwnedHandle::from_raw_handle(handle) };
    // SAFETY: the pseudo-handle of the current process needs no closing.
    let ours = image(unsafe { GetCurrentProcess() });
    let theirs = image(theirs.as_raw_handle());
    match (ours, theirs) {
        (Some(ours), Some(theirs)) => {
            ours.len() == theirs.len()
                && ours.iter().zip(&theirs).all(|(a, b)| {
                    let lower = |unit: u16| match u8::try_from(unit) {
                        Ok(byte) => u16::from(byte.to_ascii_lowercase()),
                        Err(_) => unit,
                    };
                    lower(*a) == lower(*b)
                })
        }
        _ => false,
    }
}

/// The full path of the executable of the process `handle` names, as UTF-16 units.
fn image(handle: windows_sys::Win32::Foundation::HANDLE) -> Option<Vec<u16>> {
    let mut name = vec![0_u16; 32_768];
    let mut size = u32::try_from(name.len()).unwrap_or(u32::MAX);
    // SAFETY: `name` has room for `size` units; the handle is open with query rights.
    let found = unsafe {
        QueryFullProcessImageNameW(handle, PROCESS_NAME_WIN32, name.as_mut_ptr(), &mut size)
    };
    if found == 0 {
        return None;
    }
    name.truncate(usize::try_from(size).ok()?);
    Some(name)
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

    /// No descriptor is sent to the guardian here, so there is nothing to answer.
    #[allow(clippy::unused_self)]
    pub(crate) fn answer(&mut self, _taken: bool) {}

    /// What came with the next frame: nothing vouches for a sender here (the guardian acts
    /// as itself), and no descriptor travels.
    #[allow(clippy::unused_self)]
    pub(crate) fn frame(&mut self, _length: usize) -> Frame {
        Frame {
            sender: Some(super::Sender),
        }
    }

    #[allow(clippy::unused_self)]
    pub(crate) fn program(&self) -> i32 {
        0
    }

    #[allow(clippy::unused_self)]
    pub(crate) fn program_alive(&self) -> bool {
        false
    }
}

/// A frame's company: here only the sender, whom nothing vouches for.
pub(crate) struct Frame {
    pub(crate) sender: Option<super::Sender>,
}

impl Frame {
    /// No descriptor travels here.
    #[allow(clippy::unused_self)]
    pub(crate) fn has_descriptor(&self) -> bool {
        false
    }

    /// No child is sent to the guardian here.
    #[allow(clippy::unused_self)]
    pub(crate) fn process(self, _pid: i32, _group: bool) -> Option<Process> {
        None
    }

    /// The path the program sent.
    #[allow(clippy::unused_self, clippy::unnecessary_wraps)]
    pub(crate) fn entry(self, path: &Path) -> Option<super::Entry> {
        Some(super::Entry::adopt(path))
    }
}
