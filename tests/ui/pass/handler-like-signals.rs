// A handler that reads like the `signals(...)` option, with no name or with names, is a call
// of the crate's own `signals` (here declared in `main`'s body, which the handler sees).
fn cleanup() {}

#[on_exit::on_exit(signals(), signals(hangup, quit))]
fn main() {
    fn signals() -> fn() {
        cleanup
    }
}
