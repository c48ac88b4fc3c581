fn cleanup() {}

#[on_exit::on_exit(graceful, cleanup)]
fn main() {}
