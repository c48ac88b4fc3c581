// A crate that re-exports on-exit under another path.
mod reexport {
    pub use on_exit as exit_hooks;
}

fn cleanup() {}

#[on_exit::on_exit(cleanup, crate = reexport::exit_hooks)]
fn main() {}
