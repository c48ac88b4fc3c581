//! A handler that reads like the `signals(...)` option is a call where the crate defines
//! `signals` and the names: the attribute's stand-ins (a glob import beside `main`, in every
//! edition) give way to them, and the options after it still read.
#![allow(non_upper_case_globals)]

const interrupt: u8 = 1;

fn signals(seen: u8) -> fn() {
    assert_eq!(seen, 1);
    cleanup
}

fn cleanup() {
    println!("cleanup saw 1");
}

#[on_exit::on_exit(signals(interrupt), signals(terminate), graceful)]
fn main() {}
