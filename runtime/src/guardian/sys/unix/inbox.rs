//! The guardian's end of the channel: frames read in order, each with the descriptor that
//! came with it and its sender as the kernel vouches for it, and the one-byte answers.

use std::io;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::ptr;

use super::super::Sender;
use super::channel::{Control, REFUSED, TAKEN};
use super::entry::Entry;
use super::pidfd::Process;

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
    /// leave their frame without one: never with another frame's.) Oldest first: both lists
    /// are short (the parts read and not yet claimed: about one frame's worth), so they are
    /// plain vectors taken from the front.
    attached: Vec<(u64, u64, Vec<OwnedFd>)>,
    /// Who sent the bytes not yet claimed by [`Inbox::sender`], in order: how many bytes, and
    /// what the kernel said about their sender (`None`: nothing).
    senders: Vec<(usize, Option<Sender>)>,
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
            attached: Vec::new(),
            senders: Vec::new(),
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
            self.senders.push((read, sender));
        }
        if !descriptors.is_empty() {
            self.attached.push((start, self.read, descriptors));
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
        while let Some((_, until, _)) = self.attached.first() {
            if *until > start {
                break;
            }
            self.attached.remove(0);
        }
        let mut descriptor = None;
        if let Some((from, until, _)) = self.attached.first() {
            if *from <= start && end >= *until {
                let (_, _, mut descriptors) = self.attached.remove(0);
                // The first is the frame's; any others are closed here.
                descriptors.truncate(1);
                descriptor = descriptors.pop();
            }
        }
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
            let (count, sender) = self.senders.first_mut()?;
            let taken = length.min(*count);
            let sender = *sender;
            *count -= taken;
            length -= taken;
            if *count == 0 {
                self.senders.remove(0);
            }
            found = match found {
                Some(found) if found != sender => Some(None),
                _ => Some(sender),
            };
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
