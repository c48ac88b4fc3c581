// A `compile_error!` of the user's own in scope does not swallow the macro's errors.
macro_rules! compile_error {
    ($($t:tt)*) => {};
}

fn cleanup() {}

#[on_exit::on_exit(cleanup, bogus)]
fn main() {}
