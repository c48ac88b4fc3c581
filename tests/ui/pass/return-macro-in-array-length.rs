// A macro in an array's length in the return type is an expression, never `impl Trait`: the
// body is still checked against `main`'s type, with its coercions (a `Box<MyError>` into a
// `Box<dyn Error>`). A type macro where a type goes leaves the body its own type (see
// `type-macro-return.rs`).
use std::error::Error;
use std::fmt;

#[derive(Debug)]
struct MyError;

impl fmt::Display for MyError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("my error")
    }
}

impl Error for MyError {}

macro_rules! n {
    () => {
        2
    };
}

fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() -> Result<(), (Box<dyn Error>, [u8; n!()])> {
    if std::env::args().count() > 100 {
        return Err((Box::new(MyError), [0; 2]));
    }
    Ok(())
}
