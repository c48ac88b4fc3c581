fn cleanup() {}

#[on_exit::on_exit(cleanup,, graceful)]
fn main() {}
