fn cleanup() {}

#[on_exit::on_exit(cleanup, crate = on_exit::)]
fn main() {}
