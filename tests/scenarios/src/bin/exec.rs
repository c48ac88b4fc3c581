//! `on_exit::exec` of the command given as arguments, under the default attribute.
#![forbid(unsafe_code)]
#![deny(warnings)]

#[cfg(unix)]
use std::os::unix::process::CommandExt as _;
use std::process::Command;

use on_exit::on_exit;
use on_exit_scenarios::{cleanup, log};

#[on_exit(cleanup)]
fn main() {
    let mut args = std::env::args_os().skip(1);
    let program = args.next().expect("a command to run");
    log("ready");
    // `EXEC_EXIT_AFTER=MS:N`: another thread calls `process::exit(N)` while the command runs.
    if let Ok(setting) = std::env::var("EXEC_EXIT_AFTER") {
        let (ms, code) = setting.split_once(':').expect("MS:N");
        let (ms, code): (u64, i32) = (ms.parse().expect("ms"), code.parse().expect("a code"));
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(ms));
            log("another thread exits");
            std::process::exit(code);
        });
    }
    let mut command = Command::new(program);
    command.args(args);
    // `EXEC_OWN_GROUP`: the command runs in a process group of its own, which the terminal's
    // Ctrl-C does not reach.
    #[cfg(unix)]
    if std::env::var_os("EXEC_OWN_GROUP").is_some() {
        command.process_group(0);
    }
    // `EXEC_TWICE`: another thread calls `exec` with the same command at the same moment;
    // the call that is refused logs its error and parks, so that the other one ends the
    // program.
    if std::env::var_os("EXEC_TWICE").is_some() {
        let both = std::sync::Arc::new(std::sync::Barrier::new(2));
        let mut again = Command::new(command.get_program());
        again.args(command.get_args());
        let other = std::sync::Arc::clone(&both);
        std::thread::spawn(move || {
            other.wait();
            let error = on_exit::exec(&mut again);
            log(&format!("exec returned: {error}"));
            std::thread::park();
        });
        both.wait();
        let error = on_exit::exec(&mut command);
        log(&format!("exec returned: {error}"));
        loop {
            std::thread::park();
        }
    }
    let error = on_exit::exec(&mut command);
    log(&format!("exec returned: {error}"));
    on_exit::exit(127);
}
