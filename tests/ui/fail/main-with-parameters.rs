fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main(args: Vec<String>) {
    drop(args);
}
