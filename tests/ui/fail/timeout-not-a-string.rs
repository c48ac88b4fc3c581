fn cleanup() {}

#[on_exit::on_exit(cleanup, timeout = 5)]
fn main() {}
