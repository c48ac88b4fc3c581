//! The program's end of the channel to its guardian (`inbox.rs` is the guardian's): a stream
//! socket pair carrying frames, with
//! each child's frame its pidfd and with each path's frame its parent directory
//! (`SCM_RIGHTS`), and on Linux with every frame the sender's effective user and group, as the
//! kernel vouches for them (`SCM_CREDENTIALS`).

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd as _, BorrowedFd, FromRawFd as _, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};
use std::ptr;
use std::time::{Duration, Instant};

#[cfg(any(target_os = "linux", target_os = "android"))]
use super::super::Sender;

/// A path as the bytes sent to the guardian.
pub(crate) fn path_bytes(path: &Path) -> Vec<u8> {
    path.as_os_str().as_bytes().to_vec()
}

pub(crate) fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    OsString::from_vec(bytes).into()
}

/// The program's end of the channel to its guardian.
pub(crate) struct Link {
    socket: OwnedFd,
}

impl Link {
    /// The link over `socket`, which a forked child closes at once: the link belongs to the
    /// parent, and a child that kept it open would keep the guardian from seeing the parent's
    /// end (on systems without pidfds).
    pub(super) fn new(socket: OwnedFd) -> Link {
        crate::sys::close_in_forked_child(socket.as_raw_fd());
        Link { socket }
    }

    /// Sends `frame`, with `descriptor` (a child's pidfd, a path's parent) attached. With a
    /// descriptor, waits for the guardian's answer: whether it took it (it may have no
    /// descriptor left, and the kernel then drops it).
    pub(crate) fn send(
        &mut self,
        frame: &[u8],
        descriptor: Option<BorrowedFd<'_>>,
    ) -> io::Result<bool> {
        let mut attached = descriptor.map(|fd| fd.as_raw_fd());
        let mut sent = 0;
        while sent < frame.len() {
            match send_part(&self.socket, &frame[sent..], attached) {
                Ok(count) => {
                    sent += count;
                    attached = None;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        if descriptor.is_none() {
            return Ok(true);
        }
        wait_readable(&self.socket, ANSWER)?;
        let mut answer = 0_u8;
        loop {
            // SAFETY: reads at most one byte into `answer`.
            let read =
                unsafe { libc::read(self.socket.as_raw_fd(), ptr::addr_of_mut!(answer).cast(), 1) };
            match read {
                1 => return Ok(answer == TAKEN),
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
                _ => return Err(io::Error::last_os_error()),
            }
        }
    }
}

/// The guardian's answer to a frame with a descriptor: it took it.
pub(super) const TAKEN: u8 = b'T';
/// Or it did not (no descriptor left).
pub(super) const REFUSED: u8 = b'N';
/// How long the program waits for that answer: only there to catch a hang.
const ANSWER: Duration = Duration::from_secs(10);

impl Drop for Link {
    fn drop(&mut self) {
        crate::sys::keep_in_forked_child(self.socket.as_raw_fd());
    }
}

/// Room for the control messages: the sender's credentials and one descriptor (and more:
/// eight descriptors).
#[repr(C, align(8))]
pub(super) struct Control(pub(super) [u8; 128]);

/// One `sendmsg`, with `fd` attached if there is one, and (Linux) this process's effective
/// user and group for the kernel to check and pass on. Never raises `SIGPIPE`.
fn send_part(socket: &OwnedFd, bytes: &[u8], fd: Option<RawFd>) -> io::Result<usize> {
    let mut part = libc::iovec {
        iov_base: bytes.as_ptr().cast_mut().cast(),
        iov_len: bytes.len(),
    };
    let mut control = Control([0; 128]);
    // SAFETY: an all-zero msghdr is a message with no name and no control data.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = ptr::addr_of_mut!(part);
    message.msg_iovlen = 1;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let credentials = {
        let me = Sender::this_process();
        Some(libc::ucred {
            pid: me.pid,
            uid: me.uid,
            gid: me.gid,
        })
    };
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let credentials: Option<()> = None;
    let credentials_size = match credentials {
        Some(credentials) => std::mem::size_of_val(&credentials),
        None => 0,
    };
    #[allow(clippy::cast_possible_truncation)] // the sizes of two small structures
    let (credentials_size, fd_size) =
        (credentials_size as u32, std::mem::size_of::<RawFd>() as u32);
    // SAFETY: CMSG_SPACE only computes a size.
    let length = unsafe {
        (if credentials.is_some() {
            libc::CMSG_SPACE(credentials_size)
        } else {
            0
        }) + if fd.is_some() {
            libc::CMSG_SPACE(fd_size)
        } else {
            0
        }
    };
    if length > 0 {
        message.msg_control = control.0.as_mut_ptr().cast();
        message.msg_controllen = length as _;
    }
    // SAFETY: the control buffer is aligned, zeroed, and holds both messages (128 bytes, more
    // than `length`), so CMSG_FIRSTHDR and CMSG_NXTHDR return headers inside it, each with
    // room for its payload after it.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(ptr::addr_of!(message));
        if let Some(credentials) = credentials {
            (*header).cmsg_level = libc::SOL_SOCKET;
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                (*header).cmsg_type = libc::SCM_CREDENTIALS;
            }
            (*header).cmsg_len = libc::CMSG_LEN(credentials_size) as _;
            ptr::write_unaligned(libc::CMSG_DATA(header).cast(), credentials);
            header = libc::CMSG_NXTHDR(ptr::addr_of!(message), header);
        }
        if let Some(fd) = fd {
            (*header).cmsg_level = libc::SOL_SOCKET;
            (*header).cmsg_type = libc::SCM_RIGHTS;
            (*header).cmsg_len = libc::CMSG_LEN(fd_size) as _;
            ptr::write_unaligned(libc::CMSG_DATA(header).cast::<RawFd>(), fd);
        }
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let flags = libc::MSG_NOSIGNAL;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let flags = 0; // SO_NOSIGPIPE is set on the socket instead
                   // SAFETY: `message` points to one iovec over `bytes` and to `control`, all alive here.
    let sent = unsafe { libc::sendmsg(socket.as_raw_fd(), ptr::addr_of!(message), flags) };
    usize::try_from(sent).map_err(|_| io::Error::last_os_error())
}

/// A connected pair of stream sockets, close-on-exec (and without `SIGPIPE` where there is no
/// `MSG_NOSIGNAL`).
pub(super) fn socket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1; 2];
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let kind = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let kind = libc::SOCK_STREAM;
    // SAFETY: socketpair writes two new descriptors into the two-element array.
    if unsafe { libc::socketpair(libc::AF_UNIX, kind, 0, fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: socketpair succeeded: both descriptors are open and owned by nothing else.
    let pair = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    for fd in [&pair.0, &pair.1] {
        // SAFETY: fcntl on an open socket we own, with integer arguments.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        #[cfg(target_vendor = "apple")]
        {
            let on: i32 = 1;
            // SAFETY: setsockopt on an open socket we own, with a valid 4-byte option value.
            unsafe {
                libc::setsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_NOSIGPIPE,
                    ptr::addr_of!(on).cast(),
                    4,
                )
            };
        }
    }
    Ok(pair)
}

/// Waits until `fd` is readable (or at its end), at most `timeout`.
pub(super) fn wait_readable(fd: &OwnedFd, timeout: Duration) -> io::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut ready = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let left_ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd for an open descriptor.
        match unsafe { libc::poll(ptr::addr_of_mut!(ready), 1, left_ms) } {
            1 => return Ok(()),
            0 => return Err(io::Error::new(io::ErrorKind::TimedOut, "it did not answer")),
            _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            _ => return Err(io::Error::last_os_error()),
        }
    }
}
