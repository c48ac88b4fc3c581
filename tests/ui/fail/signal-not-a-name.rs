fn cleanup() {}

#[on_exit::on_exit(cleanup, signals(interrupt, 15))]
fn main() {}
