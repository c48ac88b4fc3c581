// A comma missing after the handler: one error each, on the token after the handler.
#![allow(unused)]
mod m {
    pub fn cleanup() {}
}

use m::cleanup;

mod closure {
    #[on_exit::on_exit(|| () graceful)]
    pub fn main() {}
}

mod path {
    #[on_exit::on_exit(crate::m::cleanup timeout = "1s")]
    pub fn main() {}
}

#[on_exit::on_exit(cleanup graceful)]
fn main() {
    closure::main();
    path::main();
}
