#[on_exit::on_exit(signals(interrupt, terminate), graceful)]
fn main() {}
