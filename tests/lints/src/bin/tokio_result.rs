//! A shape of `main` under the attribute.
fn cleanup() {
    println!("cleanup");
}

#[on_exit::on_exit(cleanup)]
#[tokio::main]
async fn main() -> Result<(), std::io::Error> {
    tokio::task::yield_now().await;
    Ok(())
}
