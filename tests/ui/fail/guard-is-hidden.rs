// The body cannot reach the guard of the expansion: it has no name there.
fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() {
    drop(__on_exit_guard);
}
