//! Starting one of the runtime's threads with `pthread_create`.
//!
//! std's spawn machinery (thread handles, join packets, spawn hooks, output capture) adds
//! about 29 KiB to every binary, more than all of on-exit's own code, and the runtime's
//! threads need none of it: they are never joined. What std's threads give that these keep:
//! std's stack size (2 MiB, or `RUST_MIN_STACK`), the signal mask of the thread that starts
//! them, a panic that ends the thread alone once the panic hook has printed it, and the name
//! the system shows (`ps -L`, `top -H`, debuggers). What they do not: std does not know the
//! name, so a panic message says `thread '<unnamed>'`, and `thread::current().name()` is
//! `None` on them; and std's overflow report, which only knows the guard pages of the threads
//! it started, stays silent: an overflow kills the process by `SIGSEGV`. A stack size from
//! `RUST_MIN_STACK` that the system refuses falls back to std's default.

use std::ffi::{c_void, CStr};
use std::io;
use std::mem::MaybeUninit;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;

/// What the new thread is given.
struct Start {
    name: &'static CStr,
    work: Box<dyn FnOnce() + Send>,
}

/// std's default stack size for the threads it starts.
const STD_STACK: usize = 2 * 1024 * 1024;

/// Starts `work` on a new, detached thread named `name` (at most 15 bytes: Linux's limit).
pub(crate) fn spawn(name: &'static CStr, work: Box<dyn FnOnce() + Send>) -> io::Result<()> {
    let start = Box::into_raw(Box::new(Start { name, work }));
    let size = stack_size();
    let mut created = create(start, size);
    // A size from `RUST_MIN_STACK` that the system cannot give (a typo, a terabyte) must not
    // cost the program its signal thread: std's default is tried next.
    if created.is_err() && size != STD_STACK {
        created = create(start, STD_STACK);
    }
    created.map_err(|error| {
        // SAFETY: no thread was created, so `start` is still this function's alone.
        drop(unsafe { Box::from_raw(start) });
        io::Error::from_raw_os_error(error)
    })
}

/// One `pthread_create` of [`thread_start`] with `start`, detached, with a stack of `size`
/// bytes (the system's default if it refuses that size); the error number if it failed, and
/// then `start` is still the caller's.
fn create(start: *mut Start, size: usize) -> Result<(), i32> {
    let mut attr = MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: `attr` is initialised by pthread_attr_init before any other use, and destroyed
    // once, after pthread_create has read it. pthread_create takes `start` only on success.
    unsafe {
        let error = libc::pthread_attr_init(attr.as_mut_ptr());
        if error != 0 {
            return Err(error);
        }
        // Too small a size for this system (EINVAL) keeps the system's default.
        let _ = libc::pthread_attr_setstacksize(attr.as_mut_ptr(), size);
        let _ = libc::pthread_attr_setdetachstate(attr.as_mut_ptr(), libc::PTHREAD_CREATE_DETACHED);
        let mut thread: libc::pthread_t = MaybeUninit::zeroed().assume_init();
        let error = libc::pthread_create(&mut thread, attr.as_ptr(), thread_start, start.cast());
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        if error == 0 {
            Ok(())
        } else {
            Err(error)
        }
    }
}

/// `RUST_MIN_STACK` if it holds a number, as std reads it, or std's default; rounded up to
/// whole pages, as std does (macOS refuses any other size). Read as a `u64` that must fit a
/// `usize`, the same numbers std takes, with the runtime's one integer parser.
fn stack_size() -> usize {
    let size = std::env::var_os("RUST_MIN_STACK")
        .and_then(|value| value.to_str()?.parse::<u64>().ok())
        .and_then(|size| usize::try_from(size).ok())
        .unwrap_or(STD_STACK);
    // SAFETY: sysconf has no preconditions.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    if !page.is_power_of_two() {
        return size;
    }
    size.checked_add(page - 1)
        .map_or(size, |rounded| rounded & !(page - 1))
}

extern "C" fn thread_start(start: *mut c_void) -> *mut c_void {
    // SAFETY: `start` is the box that `spawn` gave pthread_create, which runs this once, and
    // `spawn` no longer touches it once the thread exists.
    let start = unsafe { Box::from_raw(start.cast::<Start>()) };
    name_this_thread(start.name);
    // No panic may unwind out of an `extern "C"` function (it would abort the process): as on
    // std's threads, it ends this thread once the panic hook has printed it.
    let _ = panic::catch_unwind(AssertUnwindSafe(start.work));
    ptr::null_mut()
}

/// Gives the calling thread the name the system shows; nothing where there is no call for it.
fn name_this_thread(name: &CStr) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: `name` is NUL-terminated; a name too long is refused (ERANGE), not overrun.
    unsafe {
        libc::pthread_setname_np(libc::pthread_self(), name.as_ptr());
    }
    #[cfg(target_vendor = "apple")]
    // SAFETY: `name` is NUL-terminated and names the calling thread.
    unsafe {
        libc::pthread_setname_np(name.as_ptr());
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    let _ = name;
}
