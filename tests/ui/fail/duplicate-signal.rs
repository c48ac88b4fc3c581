fn cleanup() {}

#[on_exit::on_exit(cleanup, signals(interrupt, terminate, interrupt))]
fn main() {}
