//! Forges the guardian's proof as any other program could: starts the program its first
//! argument names with `ON_EXIT_GUARDIAN=v1:<this process's id>` and a pipe of its own on
//! the program's standard input (this process holds the pipe's server end), copies its own
//! standard input into that pipe, and ends with the program's exit code. It is a different
//! executable from the program, so no guardian may come of it.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::{Command, Stdio};

fn main() {
    let program = std::env::args_os().nth(1).expect("a program to run");
    let mut child = Command::new(program)
        .env("ON_EXIT_GUARDIAN", format!("v1:{}", std::process::id()))
        .stdin(Stdio::piped())
        .spawn()
        .expect("the program starts");
    if let Some(mut pipe) = child.stdin.take() {
        let _ = std::io::copy(&mut std::io::stdin(), &mut pipe);
    }
    let status = child.wait().expect("the program ends");
    std::process::exit(status.code().unwrap_or(1));
}
