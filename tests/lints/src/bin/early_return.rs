//! A shape of `main` under the attribute.
fn cleanup() {
    println!("cleanup");
}

#[on_exit::on_exit(cleanup)]
fn main() {
    if std::env::args().count() > 3 {
        return;
    }
    println!("main");
}
