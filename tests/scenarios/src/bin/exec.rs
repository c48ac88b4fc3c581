//! `on_exit::exec` of the command given as arguments, under the default attribute.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::Command;

use on_exit::on_exit;
use on_exit_scenarios::{cleanup, log};

#[on_exit(cleanup)]
fn main() {
    let mut args = std::env::args_os().skip(1);
    let program = args.next().expect("a command to run");
    log("ready");
    let error = on_exit::exec(Command::new(program).args(args));
    log(&format!("exec returned: {error}"));
    on_exit::exit(127);
}
