use on_exit::on_exit;

fn cleanup() {}

#[on_exit(cleanup)]
fn main() {}
