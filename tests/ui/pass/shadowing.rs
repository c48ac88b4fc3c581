// The expansion uses absolute paths only: shadowing these names does not break it.
#![allow(dead_code, non_camel_case_types)]

mod std {}
mod core {}
mod on_exit_shadow {}
struct Option;
struct Result;
struct Box;
struct Some;
struct None;
struct Ok;
struct Err;
struct Drop;
struct FnOnce;
struct Send;

fn cleanup() {}

#[::on_exit::on_exit(cleanup)]
fn main() {}
