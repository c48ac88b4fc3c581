fn cleanup() {}

#[on_exit::on_exit(cleanup, timeout = "1s", timeout = "2s")]
fn main() {}
