use on_exit::{on_exit, Reason, Signal};

fn cleanup(reason: Reason) {
    if let Reason::Signal(Signal::Interrupt) = reason {
        eprintln!("interrupted");
    }
}

#[on_exit(cleanup)]
fn main() {}
