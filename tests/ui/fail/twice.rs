fn cleanup() {}

#[on_exit::on_exit(cleanup)]
#[on_exit::on_exit(cleanup, timeout = "1s")]
fn main() {}
