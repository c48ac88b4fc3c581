fn cleanup() {}

#[on_exit::on_exit(cleanup, timeout)]
fn main() {}
