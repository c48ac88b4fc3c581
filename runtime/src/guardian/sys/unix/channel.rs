//! The channel from the program to its guardian: a stream socket pair carrying frames, with
//! each child's frame its pidfd and with each path's frame its parent directory
//! (`SCM_RIGHTS`), and on Linux with every frame the sender's effective user and group, as the
//! kernel vouches for them (`SCM_CREDENTIALS`).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd as _, BorrowedFd, FromRawFd as _, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};
use std::ptr;
use std::time::{Duration, Instant};

use super::super::Sender;
use super::entry::Entry;
use super::pidfd::Process;

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
const TAKEN: u8 = b'T';
/// Or it did not (no descriptor left).
const REFUSED: u8 = b'N';
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
struct Control([u8; 128]);

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
    #[allow(clippy::cast_possible_truncation)] // the sizes of two small structures
    let (credentials_size, fd_size) = (
        credentials.map_or(0, |credentials| std::mem::size_of_val(&credentials)) as u32,
        std::mem::size_of::<RawFd>() as u32,
    );
    // SAFETY: CMSG_SPACE only computes a size.
    let length = unsafe {
        (if credentials.is_some() {
            libc::CMSG_SPACE(credentials_size)
        } else {
            0
        }) + fd.map_or(0, |_| libc::CMSG_SPACE(fd_size))
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

/// The guardian's end of the channel.
pub(crate) struct Inbox {
    socket: OwnedFd,
    /// The program's pidfd, where there are pidfds.
    program: Option<OwnedFd>,
    /// The program's process id.
    program_pid: libc::pid_t,
    /// Set once the program has ended: what is left in the channel is read without waiting.
    program_gone: bool,
    /// How many bytes have been read, and where in the stream the next frame to be claimed
    /// by [`Inbox::frame`] starts.
    read: u64,
    claimed: u64,
    /// Descriptors received and not yet claimed, with the part of the stream read with them.
    /// A read stops after the message that carried descriptors, and a frame with a
    /// descriptor is sent whole from its first byte: so they belong to the last frame that
    /// starts in that part. (Descriptors the kernel could not pass, such as for lack of room,
    /// leave their frame without one: never with another frame's.)
    attached: VecDeque<(u64, u64, Vec<OwnedFd>)>,
    /// Who sent the bytes not yet claimed by [`Inbox::sender`], in order: how many bytes, and
    /// what the kernel said about their sender (`None`: nothing).
    senders: VecDeque<(usize, Option<Sender>)>,
}

impl Inbox {
    /// The guardian's end of the channel, `socket`, the program's pidfd if there is one, and
    /// its process id.
    pub(super) fn new(
        socket: OwnedFd,
        program: Option<OwnedFd>,
        program_pid: libc::pid_t,
    ) -> Inbox {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let on: libc::c_int = 1;
            // SAFETY: setsockopt on an open socket, with a valid 4-byte option value. With it,
            // each read returns bytes of one sender only, with its credentials.
            unsafe {
                libc::setsockopt(
                    socket.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_PASSCRED,
                    ptr::addr_of!(on).cast(),
                    4,
                );
            }
        }
        Inbox {
            socket,
            program,
            program_pid,
            program_gone: false,
            read: 0,
            claimed: 0,
            attached: VecDeque::new(),
            senders: VecDeque::new(),
        }
    }

    /// Appends what the program sent to `bytes`. `false` once the program has ended and all
    /// it sent has been read.
    pub(crate) fn receive(&mut self, bytes: &mut Vec<u8>) -> io::Result<bool> {
        loop {
            if !self.program_gone {
                let mut ready = [
                    libc::pollfd {
                        fd: self.socket.as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    },
                    libc::pollfd {
                        fd: self
                            .program
                            .as_ref()
                            .map_or(-1, std::os::fd::AsRawFd::as_raw_fd),
                        events: libc::POLLIN,
                        revents: 0,
                    },
                ];
                // SAFETY: two valid pollfds (poll skips a negative descriptor); no timeout.
                if unsafe { libc::poll(ready.as_mut_ptr(), 2, -1) } < 0 {
                    continue; // EINTR
                }
                if ready[1].revents != 0 {
                    self.program_gone = true;
                    // SAFETY: fcntl with integer arguments on a descriptor we own.
                    unsafe {
                        let flags = libc::fcntl(self.socket.as_raw_fd(), libc::F_GETFL);
                        libc::fcntl(
                            self.socket.as_raw_fd(),
                            libc::F_SETFL,
                            flags | libc::O_NONBLOCK,
                        );
                    }
                }
            }
            match self.receive_part(bytes) {
                Ok(0) => {
                    // The channel's end is not the program's: `exec` closes it (it is
                    // close-on-exec) and the process goes on. Where there is a pidfd, only
                    // the process's end counts.
                    self.wait_for_program();
                    return Ok(false);
                }
                Ok(_) => return Ok(true),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(error) => return Err(error),
            }
        }
    }

    /// Waits until the program has ended, if its pidfd says when (else returns at once).
    fn wait_for_program(&mut self) {
        let Some(program) = &self.program else {
            return;
        };
        while !self.program_gone {
            let mut ready = libc::pollfd {
                fd: program.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the open pidfd; no timeout.
            if unsafe { libc::poll(ptr::addr_of_mut!(ready), 1, -1) } == 1 {
                self.program_gone = true;
            }
        }
    }

    /// One `recvmsg`: the bytes to `bytes`, the descriptors to `attached`.
    fn receive_part(&mut self, bytes: &mut Vec<u8>) -> io::Result<usize> {
        let mut buffer = [0_u8; 4096];
        let mut part = libc::iovec {
            iov_base: buffer.as_mut_ptr().cast(),
            iov_len: buffer.len(),
        };
        let mut control = Control([0; 128]);
        // SAFETY: an all-zero msghdr is a message with no name and no control data.
        let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
        message.msg_iov = ptr::addr_of_mut!(part);
        message.msg_iovlen = 1;
        message.msg_control = control.0.as_mut_ptr().cast();
        #[allow(clippy::cast_possible_truncation)] // 128 bytes
        let room = control.0.len() as _;
        message.msg_controllen = room;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let flags = libc::MSG_CMSG_CLOEXEC;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let flags = 0;
        // SAFETY: `message` points to the buffer and the control buffer, both alive here.
        let read =
            unsafe { libc::recvmsg(self.socket.as_raw_fd(), ptr::addr_of_mut!(message), flags) };
        let read = usize::try_from(read).map_err(|_| io::Error::last_os_error())?;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let mut sender = None;
        // Nothing vouches for a sender here: the guardian acts as itself.
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let sender = Some(Sender);
        let mut descriptors = Vec::new();
        // SAFETY: recvmsg filled the control buffer and set msg_controllen; the CMSG macros
        // walk the headers inside it, and each SCM_RIGHTS payload is that many descriptors,
        // now open in this process and owned by nothing else.
        unsafe {
            let mut header = libc::CMSG_FIRSTHDR(ptr::addr_of!(message));
            while !header.is_null() {
                if (*header).cmsg_level == libc::SOL_SOCKET
                    && (*header).cmsg_type == libc::SCM_RIGHTS
                {
                    #[allow(clippy::cast_ptr_alignment)] // read unaligned below
                    let data = libc::CMSG_DATA(header).cast::<RawFd>();
                    let payload = (*header).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                    for index in 0..payload / std::mem::size_of::<RawFd>() {
                        let fd = ptr::read_unaligned(data.add(index));
                        descriptors.push(OwnedFd::from_raw_fd(fd));
                    }
                }
                #[cfg(any(target_os = "linux", target_os = "android"))]
                if (*header).cmsg_level == libc::SOL_SOCKET
                    && (*header).cmsg_type == libc::SCM_CREDENTIALS
                {
                    let credentials =
                        ptr::read_unaligned(libc::CMSG_DATA(header).cast::<libc::ucred>());
                    sender = Some(Sender {
                        pid: credentials.pid,
                        uid: credentials.uid,
                        gid: credentials.gid,
                    });
                }
                header = libc::CMSG_NXTHDR(ptr::addr_of!(message), header);
            }
        }
        let start = self.read;
        self.read += read as u64;
        if read > 0 {
            self.senders.push_back((read, sender));
        }
        if !descriptors.is_empty() {
            self.attached.push_back((start, self.read, descriptors));
        }
        bytes.extend_from_slice(&buffer[..read]);
        Ok(read)
    }

    /// Answers the frame just read that came with a descriptor: whether it was taken.
    pub(crate) fn answer(&mut self, taken: bool) {
        let answer = if taken { TAKEN } else { REFUSED };
        // SAFETY: writes one byte from a valid buffer. (The guardian ignores SIGPIPE: a
        // program already gone makes this fail, which is fine.)
        unsafe { libc::write(self.socket.as_raw_fd(), ptr::addr_of!(answer).cast(), 1) };
    }

    /// What came with the next frame, `length` bytes long: who sent it and its descriptor.
    pub(crate) fn frame(&mut self, length: usize) -> Frame {
        let start = self.claimed;
        let end = start + length as u64;
        self.claimed = end;
        // Those of earlier parts of the stream were for frames that did not take them.
        while self
            .attached
            .front()
            .is_some_and(|(_, until, _)| *until <= start)
        {
            self.attached.pop_front();
        }
        let ours = self
            .attached
            .front()
            .is_some_and(|(from, until, _)| *from <= start && end >= *until);
        let descriptor = if ours {
            self.attached
                .pop_front()
                .and_then(|(_, _, descriptors)| descriptors.into_iter().next())
        } else {
            None
        };
        Frame {
            sender: self.sender(length),
            descriptor,
        }
    }

    /// Who sent the next `length` bytes, and forgets them: `None` unless the kernel named one
    /// sender for all of them.
    fn sender(&mut self, mut length: usize) -> Option<Sender> {
        let mut found: Option<Option<Sender>> = None;
        while length > 0 {
            let (count, sender) = self.senders.front_mut()?;
            let taken = length.min(*count);
            let sender = *sender;
            *count -= taken;
            length -= taken;
            if *count == 0 {
                self.senders.pop_front();
            }
            if found.is_some_and(|found| found != sender) {
                found = Some(None);
            } else {
                found = Some(sender);
            }
        }
        found.flatten()
    }

    /// The program's process id, as the guardian sees it.
    pub(crate) fn program(&self) -> libc::pid_t {
        self.program_pid
    }

    /// Whether the program still runs, as far as its pidfd tells (without one: no).
    pub(crate) fn program_alive(&self) -> bool {
        let Some(program) = &self.program else {
            return false;
        };
        let mut ready = libc::pollfd {
            fd: program.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the open pidfd; no waiting.
        unsafe { libc::poll(ptr::addr_of_mut!(ready), 1, 0) == 0 }
    }
}

/// A frame's company: who sent it (as the kernel says), and the descriptor that came with it.
pub(crate) struct Frame {
    pub(crate) sender: Option<Sender>,
    descriptor: Option<OwnedFd>,
}

impl Frame {
    /// Whether a descriptor came with it (the program then waits for an answer).
    pub(crate) fn has_descriptor(&self) -> bool {
        self.descriptor.is_some()
    }

    /// The child the program armed as `pid`, with the pidfd that came with the frame.
    pub(crate) fn process(self, pid: i32, group: bool) -> Option<Process> {
        let pidfd = self.descriptor?;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        return Some(Process::adopt(pidfd, pid, group));
        // Without pidfds the program sends no child.
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = (pidfd, pid, group);
            None
        }
    }

    /// The terminal the program armed: the descriptor that came with the frame.
    pub(crate) fn terminal(self) -> Option<OwnedFd> {
        self.descriptor
    }

    /// The entry the program armed as `path`: its last component, in the directory that came
    /// with the frame.
    pub(crate) fn entry(self, path: &Path) -> Option<Entry> {
        Entry::adopt(self.descriptor?, path.file_name()?.as_bytes())
    }
}
