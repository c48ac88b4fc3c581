//! A shape of `main` under the attribute.
fn cleanup() {
    println!("cleanup");
}

#[on_exit::on_exit(local)]
fn main() {
    fn local() {
        cleanup();
    }
    println!("main");
}
