//! Runs a program and logs its full exit code, `exit 0xC000013A`: under wine, a Unix parent
//! sees only the low 8 bits of a Windows exit code. Console events sent to the console are
//! ignored here, so that they reach only the program under test.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::Command;

use on_exit_scenarios::{ignore_console_events, log};

fn main() {
    ignore_console_events();
    let mut args = std::env::args_os().skip(1);
    let program = args.next().expect("a program to run");
    let status = Command::new(program)
        .args(args)
        .status()
        .expect("the program starts");
    // The bits of the code, as Windows shows them (0xC000013A is negative as an i32).
    let code = status.code().map_or(u32::MAX, i32::cast_unsigned);
    log(&format!("exit {code:#010X}"));
}
