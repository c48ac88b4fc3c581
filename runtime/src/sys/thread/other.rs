//! One process and one thread (wasm32).

/// One process, never forked.
pub(crate) fn process() -> u64 {
    1
}

/// The same: one process.
pub(crate) fn process_verified() -> u64 {
    process()
}

/// One process: its memory is its own.
pub(crate) fn owns_its_memory() -> bool {
    true
}

/// One thread: there is no other to tell apart.
pub(crate) fn thread_id() -> u64 {
    1
}

pub(crate) fn parked_in_exit(_thread: u64) -> bool {
    false
}
