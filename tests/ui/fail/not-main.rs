fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn run() {}

fn main() {
    run();
}
