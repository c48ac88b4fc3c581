//! Targets where no process outlives the program (wasm32).

use std::io;

/// No processes to stop and no process to outlive the program: `kill_on_exit` and
/// `remove_on_exit` say so.
pub(crate) const GUARDIAN_KILLS: bool = false;

pub(crate) use super::Unwatchable as Process;

pub(crate) fn watch(_child: &mut std::process::Child) -> io::Result<Option<Process>> {
    Err(io::ErrorKind::Unsupported.into())
}

pub(crate) enum Link {}

#[allow(clippy::unused_self)]
impl Link {
    pub(crate) fn send(
        &mut self,
        _frame: &[u8],
        _descriptor: Option<super::Descriptor<'_>>,
    ) -> io::Result<bool> {
        match *self {}
    }
}

pub(crate) fn raise_descriptor_limit() {}

pub(crate) fn start_guardian() -> io::Result<Link> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no process can outlive the program on this target",
    ))
}

pub(crate) enum Inbox {}

#[allow(clippy::unused_self)]
impl Inbox {
    pub(crate) fn receive(&mut self, _bytes: &mut Vec<u8>) -> io::Result<bool> {
        match *self {}
    }
    pub(crate) fn answer(&mut self, _taken: bool) {
        match *self {}
    }
    pub(crate) fn frame(&mut self, _length: usize) -> Frame {
        match *self {}
    }
    pub(crate) fn program(&self) -> i32 {
        match *self {}
    }
    pub(crate) fn program_alive(&self) -> bool {
        match *self {}
    }
}

pub(crate) fn path_bytes(path: &std::path::Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

pub(crate) fn path_from_bytes(bytes: Vec<u8>) -> std::path::PathBuf {
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
        .into()
}

/// A frame's company: none, since no frame comes.
pub(crate) struct Frame {
    pub(crate) sender: Option<super::Sender>,
}

#[allow(clippy::unused_self)]
impl Frame {
    pub(crate) fn has_descriptor(&self) -> bool {
        false
    }
    pub(crate) fn process(self, _pid: i32, _group: bool) -> Option<Process> {
        None
    }
    pub(crate) fn entry(self, _path: &std::path::Path) -> Option<super::Entry> {
        None
    }
}
