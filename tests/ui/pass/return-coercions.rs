// The body is checked against `main`'s declared return type, as without the attribute:
// coercions at a `return`, in `if` and `match` arms, and through a type alias.
use std::error::Error;
use std::fmt;

#[derive(Debug)]
struct MyError;

impl fmt::Display for MyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("my error")
    }
}

impl Error for MyError {}

type Outcome = Result<(), Box<dyn Error>>;

fn cleanup() {}

fn fails() -> bool {
    std::env::args().count() > 100
}

fn returned() -> Outcome {
    if fails() {
        return Err(Box::new(MyError));
    }
    Ok(())
}

#[on_exit::on_exit(cleanup)]
fn main() -> Outcome {
    returned()?;
    if fails() {
        return Err(Box::new(MyError));
    }
    let _borrowed: Result<(), &'static dyn fmt::Debug> = if fails() { Err(&1u8) } else { Ok(()) };
    match std::env::args().count() {
        1000 => Err(Box::new(MyError)),
        _ => {
            if fails() {
                Err(Box::new(MyError))
            } else {
                Ok(())
            }
        }
    }
}
