// A return type with `impl Trait` in it still guides the body where it is known: the
// coercion of `Box<MyError>` to `Box<dyn Error>` at a `return` and in an `if` arm.
use std::error::Error;
use std::fmt;
use std::process::Termination;

#[derive(Debug)]
struct MyError;

impl fmt::Display for MyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("my error")
    }
}

impl Error for MyError {}

fn cleanup() {}

fn fails() -> bool {
    std::env::args().count() > 100
}

#[on_exit::on_exit(cleanup)]
fn main() -> Result<impl Termination, Box<dyn Error>> {
    if fails() {
        return Err(Box::new(MyError));
    }
    if fails() {
        Err(Box::new(MyError))
    } else {
        Ok(())
    }
}
