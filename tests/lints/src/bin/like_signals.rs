//! A shape of `main` under the attribute: a handler named like the `signals(...)` option.
#![allow(non_upper_case_globals)]

const interrupt: u8 = 1;

const fn signals(_: u8) -> fn() {
    cleanup
}

fn cleanup() {
    println!("cleanup");
}

#[on_exit::on_exit(signals(interrupt), graceful)]
fn main() {}
