// `fn r#main`, a parenthesized `impl Trait` return type, and a user function named like an
// option (`signals`) as the handler.
use std::process::Termination;

fn signals(_: u8) -> fn() {
    cleanup
}

fn cleanup() {}

#[on_exit::on_exit(signals(1))]
fn r#main() -> (impl Termination) {}
