//! A shape of `main` under the attribute.
fn cleanup() {
    println!("cleanup");
}

#[on_exit::on_exit(cleanup)]
fn main() -> ! {
    std::process::exit(0)
}
