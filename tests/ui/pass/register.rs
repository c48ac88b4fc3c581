// `register` and `scoped` take the same handler forms as the attribute.
fn cleanup() {}

fn with_reason(reason: on_exit::Reason) {
    let _ = reason;
}

fn main() {
    on_exit::register(cleanup);
    on_exit::register(with_reason);
    on_exit::register(|| {});
    on_exit::register(|reason: on_exit::Reason| drop(reason));
    let owned = String::from("state made at run time");
    on_exit::register(move || drop(owned));
    let guard = on_exit::scoped(|| {});
    guard.cancel();
    let _guard = on_exit::scoped(cleanup);
    let _ = on_exit::requested();
    let _future: on_exit::Signalled = on_exit::signalled();
}
