fn cleanup() {}

#[on_exit::on_exit(cleanup, signals(interrupt terminate))]
fn main() {}
