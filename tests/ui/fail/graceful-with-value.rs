fn cleanup() {}

#[on_exit::on_exit(cleanup, graceful = true)]
fn main() {}
