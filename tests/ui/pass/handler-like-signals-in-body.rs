// A handler named like the `signals(...)` option whose function and names are declared in
// `main`'s body: the attribute's stand-ins (a glob beside `main`) give way to them there, and
// nothing of theirs reaches the rest of the module: a binding named like a signal stays a
// binding, and a child module's `use super::*` brings in no type of theirs.
#![allow(non_upper_case_globals)]

fn cleanup() {}

fn worker(quit: bool) -> bool {
    let shutdown = quit;
    shutdown
}

#[on_exit::on_exit(signals(shutdown, quit))]
fn main() {
    fn signals(_: u8, _: u8) -> fn() {
        cleanup
    }
    const shutdown: u8 = 1;
    const quit: u8 = 2;
    worker(true);
}

mod child {
    #[allow(unused_imports)]
    use super::*;

    mod own {
        pub struct MissingCleanupHandler;
        pub struct SignalName;
    }
    use self::own::*;

    #[allow(dead_code)]
    fn f() {
        let _ = (MissingCleanupHandler, SignalName);
    }
}
