//! A wrapper in a few lines: runs the command it is given, then ends the way the command
//! ended: its exit code, or killed by its signal (a shell shows 130 after Ctrl-C). Ctrl-C
//! reaches the command once; a supervisor's `kill <wrapper>` is passed on to it.
//!
//! ```text
//! cargo run --example wrapper -- sh -c 'exit 3'; echo $?     # 3
//! cargo run --example wrapper -- sleep 100                   # Ctrl-C; echo $? shows 130
//! ```

use std::process::Command;

#[on_exit::on_exit(|| eprintln!("wrapper: cleaned up"))]
fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: wrapper COMMAND [ARGS...]");
        on_exit::exit(2);
    };
    let error = on_exit::exec(Command::new(program).args(args));
    eprintln!("wrapper: cannot run the command: {error}");
    on_exit::exit(127);
}
