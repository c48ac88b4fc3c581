//! A shape of `main` under the attribute.
fn cleanup() {
    println!("cleanup");
}

#[on_exit::on_exit(|reason: on_exit::Reason| println!("{reason:?}"))]
fn main() {
    cleanup();
}
