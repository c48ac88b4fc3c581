fn cleanup() {}

#[on_exit::on_exit(cleanup, graceful timeout = "1s")]
fn main() {}
