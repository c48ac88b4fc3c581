// A comma missing after the handler, or another punctuation in its place: one error each, on
// the token after the handler.
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

mod semicolon {
    #[on_exit::on_exit(crate::m::cleanup; graceful)]
    pub fn main() {}
}

mod arrow {
    #[on_exit::on_exit(crate::m::cleanup => graceful)]
    pub fn main() {}
}

mod tilde {
    #[on_exit::on_exit(crate::m::cleanup ~ graceful)]
    pub fn main() {}
}

mod in_parameters {
    #[on_exit::on_exit(|x: u8; graceful)]
    pub fn main() {}
}

#[on_exit::on_exit(cleanup graceful)]
fn main() {
    closure::main();
    path::main();
    semicolon::main();
    arrow::main();
    tilde::main();
    in_parameters::main();
}
