//! A shape of `main` under the attribute.
fn cleanup() {
    println!("cleanup");
}

#[tokio::main]
#[on_exit::on_exit(cleanup)]
async fn main() {
    tokio::task::yield_now().await;
}
