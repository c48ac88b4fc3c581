//! A tool that registers each temporary directory it creates, so that every one of them is
//! removed however the tool ends: finished, failed, Ctrl-C, `kill`, or the terminal closing.
//!
//! ```text
//! cargo run --example temp_dirs
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;
use std::{fs, io, thread};

fn main() -> io::Result<()> {
    // No attribute needed: the first `register` installs the runtime.
    for step in 1..=3 {
        let dir = make_temp_dir(step)?;
        let shown = dir.display().to_string();
        // Registered before any work in it: an ending from here on removes it.
        on_exit::register(move || {
            let removed = fs::remove_dir_all(&dir).is_ok();
            // Never `println!` in a cleanup: the terminal may be gone.
            let _ = writeln!(io::stderr(), "removed {} ({removed})", dir.display());
        });
        println!("step {step}: working in {shown}");
        thread::sleep(Duration::from_secs(1));
    }
    println!("done; the cleanups run now, newest directory first");
    Ok(())
}

fn make_temp_dir(step: u32) -> io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("on-exit-step-{}-{step}", std::process::id()));
    fs::create_dir_all(&dir)?;
    fs::write(dir.join("partial.dat"), b"half-written")?;
    Ok(dir)
}
