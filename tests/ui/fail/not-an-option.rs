// A value where an option should be, after a closure handler and after a good option.
#[on_exit::on_exit(|| (), graceful, 5)]
fn main() {}
