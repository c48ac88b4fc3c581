// A comma missing after `crate = path`, bare or in a string: one error, on the token after
// the path.
fn cleanup() {}

mod quoted {
    #[on_exit::on_exit(crate::cleanup, crate = "on_exit" graceful)]
    pub fn main() {}
}

#[on_exit::on_exit(cleanup, crate = on_exit graceful)]
fn main() {
    quoted::main();
}
