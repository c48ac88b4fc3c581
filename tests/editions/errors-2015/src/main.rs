// A `compile_error!` of the crate's own does not swallow the macro's errors in edition 2015
// either: they go through `::std`, at the crate's root there.
#[allow(unused_macros)]
macro_rules! compile_error {
    ($($t:tt)*) => {};
}

fn cleanup() {}

#[on_exit::on_exit(cleanup, retries = 3)]
fn main() {}
