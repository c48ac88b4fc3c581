// `crate = "..."`, the spelling tokio and serde accept, for a renamed or re-exported on-exit.
mod reexport {
    pub use on_exit as exit_hooks;
}

fn cleanup() {}

#[on_exit::on_exit(cleanup, crate = "reexport::exit_hooks")]
fn main() {}
