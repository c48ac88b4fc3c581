fn cleanup() {}

#[on_exit::on_exit(cleanup, crate)]
fn main() {}
