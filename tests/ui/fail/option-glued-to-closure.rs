// An option after a closure handler, without its comma: the one error is on the `|`.
#[on_exit::on_exit(|| (), graceful, signals(interrupt) | x)]
fn main() {}
