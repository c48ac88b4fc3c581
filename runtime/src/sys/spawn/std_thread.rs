//! Starting one of the runtime's threads with std's `thread::Builder`.

use std::ffi::CStr;
use std::io;
use std::thread;

/// Starts `work` on a new thread named `name`, never joined.
pub(crate) fn spawn(name: &'static CStr, work: Box<dyn FnOnce() + Send>) -> io::Result<()> {
    let mut builder = thread::Builder::new();
    if let Ok(name) = name.to_str() {
        builder = builder.name(name.into());
    }
    builder.spawn(work).map(drop)
}
