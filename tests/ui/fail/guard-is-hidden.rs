// The names the expansion gives its guard and result cannot be reached from the body.
fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() {
    drop(__on_exit_guard);
}
