fn cleanup() -> std::io::Result<()> {
    std::fs::remove_file("lock")
}

#[on_exit::on_exit(cleanup)]
fn main() {}
