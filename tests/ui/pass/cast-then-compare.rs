// `<=` after a cast compares: it opens no generic arguments, so the handler ends at its comma.
#[on_exit::on_exit(|| *&mut false = 1 as u32 <= 2, graceful)]
fn main() {}
