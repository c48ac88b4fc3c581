fn cleanup() {}

#[on_exit::on_exit(cleanup, retries = 3)]
fn main() {}
