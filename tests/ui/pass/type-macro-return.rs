// A type macro in the return type, which may expand to `impl Trait` (the macro cannot see
// into it): the body's own type is `main`'s, as for a written `impl Trait`.
macro_rules! rt {
    () => { impl std::process::Termination };
}

fn cleanup() {}

mod braces {
    #[on_exit::on_exit(super::cleanup)]
    pub fn main() -> rt! {} {
        std::process::ExitCode::SUCCESS
    }
}

#[on_exit::on_exit(cleanup)]
fn main() -> rt!() {
    let _ = braces::main;
    std::process::ExitCode::SUCCESS
}
