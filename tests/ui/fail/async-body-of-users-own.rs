// A `main` of the user's own that starts `let body = async { .. };` and blocks on it later,
// with statements between: not the body an async runtime's attribute makes, so the install is
// `main`'s first statement, where `.await` is not allowed, as in the builder's line there.
// (It was read as tokio's and the install put in the async block, which the early `return`
// never runs: no cleanup.)
async fn make() -> fn() {
    || ()
}

fn block_on<F: std::future::Future>(_: F) -> F::Output {
    unimplemented!()
}

#[on_exit::on_exit(make().await)]
fn main() {
    let body = async {};
    if std::env::args().count() > 1 {
        return;
    }
    block_on(body)
}
