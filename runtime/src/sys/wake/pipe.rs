//! The signal thread's wake-up on Apple's systems, which have no unnamed semaphores: a pipe.

use std::io;
use std::os::fd::{AsRawFd as _, FromRawFd as _, IntoRawFd as _, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

/// The write end of this process's wake-up pipe, for the signal handlers; -1 before.
static WAKE: AtomicI32 = AtomicI32::new(-1);
/// The process (`sys::process()`) that made the pipe in [`WAKE`]: a forked child makes its
/// own, since the inherited one is its parent's (a wake-up there would wake the parent).
static WAKE_OF: AtomicU64 = AtomicU64::new(0);

/// The read end of the wake-up pipe: the signal thread sleeps on it.
pub(crate) struct Waker {
    read: OwnedFd,
}

impl Waker {
    pub(crate) fn new() -> io::Result<Waker> {
        let process = crate::sys::process();
        if WAKE_OF.load(Ordering::Acquire) == process {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "already created",
            ));
        }
        let mut fds = [-1; 2];
        // SAFETY: pipe writes two new file descriptors into the two-element array.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe succeeded: both descriptors are open and owned by nothing else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        set_flag(&read, libc::F_GETFD, libc::F_SETFD, libc::FD_CLOEXEC)?;
        set_flag(&write, libc::F_GETFD, libc::F_SETFD, libc::FD_CLOEXEC)?;
        // A handler must never block: when the pipe is full, the thread is awake anyway.
        set_flag(&write, libc::F_GETFL, libc::F_SETFL, libc::O_NONBLOCK)?;
        // The parent's write end, if any, stays open (unused): a handler may be reading it
        // right now, and a closed number could be reused by another file.
        WAKE.store(write.into_raw_fd(), Ordering::Release);
        WAKE_OF.store(process, Ordering::Release);
        Ok(Waker { read })
    }

    /// Blocks, using no CPU, until a handler wakes the thread or `timeout` passes.
    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        let timeout_ms = timeout.map_or(-1, |timeout| {
            i32::try_from(timeout.as_millis().max(1)).unwrap_or(i32::MAX)
        });
        let mut ready = libc::pollfd {
            fd: self.read.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: `ready` is one valid pollfd for an open descriptor.
            let polled = unsafe { libc::poll(std::ptr::addr_of_mut!(ready), 1, timeout_ms) };
            if polled >= 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                break;
            }
        }
        if ready.revents & libc::POLLIN != 0 {
            let mut buffer = [0_u8; 64];
            // SAFETY: the buffer is valid for 64 bytes; the pipe is readable, so this
            // does not block. What it reads is only wake-up bytes.
            unsafe {
                libc::read(
                    self.read.as_raw_fd(),
                    buffer.as_mut_ptr().cast(),
                    buffer.len(),
                )
            };
        }
    }
}

/// Adds `flag` to a descriptor's flags (`F_GETFD`/`F_SETFD` or `F_GETFL`/`F_SETFL`).
fn set_flag(fd: &OwnedFd, get: i32, set: i32, flag: i32) -> io::Result<()> {
    // SAFETY: fcntl on an open descriptor we own, with integer arguments only.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), get) };
    // SAFETY: as above.
    if flags == -1 || unsafe { libc::fcntl(fd.as_raw_fd(), set, flags | flag) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Wakes the signal thread. Async-signal-safe.
pub(crate) fn wake() {
    let write = WAKE.load(Ordering::Acquire);
    if write >= 0 {
        // SAFETY: the descriptor stays open for the rest of the process (it is never closed),
        // the buffer is one valid byte, and write is async-signal-safe. A full pipe (EAGAIN)
        // is fine: the thread already has a wake-up waiting.
        unsafe { libc::write(write, b"!".as_ptr().cast(), 1) };
    }
}
