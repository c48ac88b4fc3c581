//! A closure handler that stops what `main` started: here, a child process (kept in a static
//! that both reach) that must not be left running when the parent stops, whatever stops it. `timeout` bounds how long the
//! cleanup may take after a signal.
//!
//! ```text
//! cargo run --example child_process
//! ```

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::{io, thread, time::Duration};

use on_exit::{on_exit, Reason};

/// The child, shared between `main` (which starts it) and the cleanup (which stops it).
static CHILD: Mutex<Option<std::process::Child>> = Mutex::new(None);

#[on_exit(
    |reason: Reason| {
        if let Some(mut child) = CHILD.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = child.kill();
            let _ = child.wait();
            let _ = writeln!(io::stderr(), "cleanup ({reason}): stopped child {}", child.id());
        }
    },
    timeout = "2s"
)]
fn main() -> io::Result<()> {
    let child = Command::new("sleep")
        .arg("60")
        .stdin(Stdio::null())
        .spawn()?;
    println!(
        "started child {}; working for 3 seconds (try Ctrl-C)",
        child.id()
    );
    *CHILD.lock().unwrap_or_else(PoisonError::into_inner) = Some(child);
    thread::sleep(Duration::from_secs(3));
    Ok(())
}
