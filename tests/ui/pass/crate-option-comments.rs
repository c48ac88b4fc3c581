// Comments in a quoted `crate = "..."` are whitespace, as Rust reads them.
mod reexp {
    pub use on_exit as oe;
}

fn cleanup() {}

mod line {
    #[on_exit::on_exit(super::cleanup, crate = "crate::reexp::oe // the re-export")]
    pub fn main() {}
}

#[on_exit::on_exit(cleanup, crate = "crate::reexp::oe/**/")]
fn main() {
    let _ = line::main;
}
