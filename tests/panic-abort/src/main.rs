//! `ON_EXIT_PANIC`: `main` (the default) panics on the main thread, `thread` on another
//! thread, `chained` after setting a hook of its own that chains the previous one.
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
        _ => panic!("main panics"),
    }
}
