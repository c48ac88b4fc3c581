// A reference coerced to a `'static` trait object at `main`'s `return`.
use std::fmt::Debug;

fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() -> Result<(), &'static dyn Debug> {
    if std::env::args().count() > 100 {
        return Err(&1u8);
    }
    Ok(())
}
