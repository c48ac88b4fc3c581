#[on_exit::on_exit(timeout = "5s")]
fn main() {}
