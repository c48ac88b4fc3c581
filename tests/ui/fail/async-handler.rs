async fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() {}
