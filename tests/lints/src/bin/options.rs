//! A shape of `main` under the attribute.
fn cleanup() {
    println!("cleanup");
}

#[on_exit::on_exit(cleanup, signals(interrupt, terminate), timeout = "5s", graceful)]
fn main() {}
