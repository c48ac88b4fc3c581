fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main<T: Default>() {
    let _ = T::default();
}
