fn cleanup() {}

#[on_exit::on_exit(cleanup)]
const fn main() {}
