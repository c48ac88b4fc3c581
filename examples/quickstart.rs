//! The main job: a temporary file that must not outlive the program.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! It works for a few seconds, then ends by itself and the cleanup removes the file. Press
//! Ctrl-C, or close the terminal, during the work: the same cleanup runs, and then the program
//! dies by the signal, as the shell expects (`echo $?` prints 130 after Ctrl-C).

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;
use std::{fs, io, thread};

use on_exit::{on_exit, Reason};

fn scratch_file() -> PathBuf {
    std::env::temp_dir().join(format!("on-exit-quickstart-{}.tmp", std::process::id()))
}

#[on_exit(cleanup)]
fn main() -> io::Result<()> {
    let path = scratch_file();
    fs::write(&path, "half-written output\n")?;
    println!("created {}", path.display());
    println!("working for 5 seconds; press Ctrl-C to see the cleanup run early");
    for step in 1..=10 {
        thread::sleep(Duration::from_millis(500));
        print!("\r[{:<10}] {}%", "#".repeat(step), step * 10);
        io::stdout().flush()?;
    }
    println!();
    Ok(())
}

fn cleanup(reason: Reason) {
    let path = scratch_file();
    let removed = fs::remove_file(&path).is_ok();
    // The terminal may be gone (it closed: SIGHUP), so never `println!` in a cleanup: a
    // failed write would panic. Write and ignore the error instead.
    let _ = writeln!(
        io::stdout(),
        "\ncleanup ({reason}): {} {}",
        if removed {
            "removed"
        } else {
            "nothing to remove at"
        },
        path.display()
    );
}
