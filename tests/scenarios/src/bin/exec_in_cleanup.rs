//! `on_exit::exec` called from inside the cleanup: `main` waits for a signal, and the cleanup
//! it starts tries to run the command given as arguments.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::Command;

use on_exit::{on_exit, Reason};
use on_exit_scenarios::log;

fn cleanup(reason: Reason) {
    log(&format!("cleanup {reason:?}"));
    let mut args = std::env::args_os().skip(1);
    let mut command = Command::new(args.next().expect("a command to run"));
    command.args(args);
    let error = on_exit::exec(&mut command);
    log(&format!("exec returned: {error}"));
    log("cleanup done");
}

#[on_exit(cleanup)]
fn main() {
    log("ready");
    std::thread::sleep(std::time::Duration::from_mins(1));
}
