fn cleanup() {}

#[on_exit::on_exit(cleanup)]
struct Config;

fn main() {}
