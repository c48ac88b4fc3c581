//! A cleanup that acts on why the program ends: keep partial output for a look after a
//! crash, delete it after a clean run, say what happened after a signal.
//!
//! ```text
//! cargo run --example reason            # ends by itself
//! cargo run --example reason -- panic   # main panics: the output is kept
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::{fs, io, thread, time::Duration};

use on_exit::{on_exit, Reason, Signal};

fn output() -> PathBuf {
    std::env::temp_dir().join(format!("on-exit-reason-{}.partial", std::process::id()))
}

#[on_exit(cleanup)]
fn main() -> io::Result<()> {
    fs::write(output(), "partial results\n")?;
    thread::sleep(Duration::from_secs(2));
    let crash = std::env::args().nth(1).as_deref() == Some("panic");
    assert!(!crash, "something went wrong halfway");
    Ok(())
}

fn cleanup(reason: Reason) {
    let path = output();
    let message = match reason {
        Reason::Returned => {
            let _ = fs::remove_file(&path);
            "finished: partial output removed".to_owned()
        }
        Reason::Panicked => format!("panicked: partial output kept at {}", path.display()),
        Reason::Signal(Signal::Interrupt) => {
            let _ = fs::remove_file(&path);
            "interrupted by Ctrl-C: partial output removed".to_owned()
        }
        other => {
            let _ = fs::remove_file(&path);
            format!("stopped ({other}): partial output removed")
        }
    };
    let _ = writeln!(io::stderr(), "{message}");
}
