//! `ON_EXIT_PANIC`: `main` (the default) panics on the main thread, `thread` on another
//! thread, `chained` after setting a hook of its own that chains the previous one, `armed`
//! after arming a child that ignores `SIGTERM` (`child PID` on stderr) and the directory
//! `ON_EXIT_REMOVE` with `kill_on_exit` and `remove_on_exit`.
use std::panic;

fn cleanup(reason: on_exit::Reason) {
    eprintln!("cleanup {reason:?}");
}

#[on_exit::on_exit(cleanup)]
fn main() {
    on_exit::register(|| eprintln!("registered cleanup"));
    match std::env::var("ON_EXIT_PANIC").as_deref() {
        Ok("thread") => {
            let _ = std::thread::spawn(|| panic!("a thread panics")).join();
            unreachable!("the panic aborted the process");
        }
        Ok("chained") => {
            let previous = panic::take_hook();
            panic::set_hook(Box::new(move |info| {
                eprintln!("user hook");
                previous(info);
            }));
            panic!("main panics after its own hook");
        }
        Ok("armed") => {
            let mut child = std::process::Command::new("sh")
                .args(["-c", "trap '' TERM; exec sleep 1000"])
                .spawn()
                .expect("sh starts");
            eprintln!("child {}", child.id());
            on_exit::kill_on_exit(&mut child).expect("the child is armed");
            let path = std::env::var_os("ON_EXIT_REMOVE").expect("ON_EXIT_REMOVE is set");
            on_exit::remove_on_exit(path).expect("the path is armed");
            panic!("main panics with a child and a path armed");
        }
        _ => panic!("main panics"),
    }
}
