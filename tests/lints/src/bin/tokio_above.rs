//! A shape of `main` under the attribute.
fn cleanup() {
    println!("cleanup");
}

#[on_exit::on_exit(cleanup)]
#[tokio::main]
async fn main() {
    tokio::task::yield_now().await;
}
