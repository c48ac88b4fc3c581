//! Which process and thread this is, on Windows.

/// This process (Windows has no `fork`: it is the program's only one).
pub(crate) fn process() -> u64 {
    u64::from(std::process::id())
}

/// The same: no process is made without its own id being checked here.
pub(crate) fn process_verified() -> u64 {
    process()
}

/// A process on Windows never shares its memory with another.
pub(crate) fn owns_its_memory() -> bool {
    true
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
