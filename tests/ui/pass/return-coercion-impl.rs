// A return type with `impl Trait` in it still guides the body where it is known: the
// coercion of `Box<fmt::Error>` to `Box<dyn Error>` at a `return` and in an `if` arm.
use std::error::Error;
use std::fmt;
use std::process::Termination;

fn cleanup() {}

fn fails() -> bool {
    std::env::args().count() > 100
}

#[on_exit::on_exit(cleanup)]
fn main() -> Result<impl Termination, Box<dyn Error>> {
    if fails() {
        return Err(Box::new(fmt::Error));
    }
    if fails() {
        Err(Box::new(fmt::Error))
    } else {
        Ok(())
    }
}
