#[on_exit::on_exit]
fn main() {}
