//! A helper process and a scratch directory that go however the program ends, even with
//! `kill -9`: `kill_on_exit` and `remove_on_exit`.
//!
//! ```text
//! cargo run --example no_orphans
//! kill -9 <the pid it prints>     # from another terminal: the helper and the directory go too
//! ```

use std::process::{Command, Stdio};
use std::{fs, io, thread, time::Duration};

#[on_exit::on_exit(|| eprintln!("cleaned up"))]
fn main() -> io::Result<()> {
    // A process that must not outlive this one: a test server, an ffmpeg, an ssh tunnel...
    let mut helper = sleeper().stdin(Stdio::null()).spawn()?;
    on_exit::kill_on_exit(&mut helper)?;

    // A directory that must not be left behind, with half-written output in it.
    let scratch = std::env::temp_dir().join(format!("no-orphans-{}", std::process::id()));
    fs::create_dir(&scratch)?;
    fs::write(scratch.join("partial.out"), "half-written output")?;
    on_exit::remove_on_exit(&scratch)?;

    println!("helper: {}", helper.id());
    println!("scratch: {}", scratch.display());
    println!(
        "working for 10 s as pid {}: try Ctrl-C, or kill -9 from another terminal",
        std::process::id()
    );
    thread::sleep(Duration::from_secs(10));
    Ok(())
}

/// A child that would run for a minute.
fn sleeper() -> Command {
    if cfg!(windows) {
        let mut command = Command::new("cmd");
        command.args(["/C", "timeout /T 60 /NOBREAK > NUL"]);
        command
    } else {
        let mut command = Command::new("sleep");
        command.arg("60");
        command
    }
}
