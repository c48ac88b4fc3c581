// A `main` whose body never returns normally compiles without a warning.
#![deny(warnings)]

fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() {
    let code = i32::from(std::env::args().count() > 100);
    std::process::exit(code)
}
