//! An empty `main` with `#[on_exit(cleanup)]`.
#[on_exit::on_exit(cleanup)]
fn main() {}

fn cleanup() {}
