// A timeout in seconds whose milliseconds a `u64` cannot hold is still a valid `Duration`.
fn cleanup() {}

#[on_exit::on_exit(cleanup, timeout = "1000000000000000000s")]
fn main() {}
