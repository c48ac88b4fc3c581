// A comma missing after `crate = path`: one error, on the token after the path.
fn cleanup() {}

#[on_exit::on_exit(cleanup, crate = on_exit graceful)]
fn main() {}
