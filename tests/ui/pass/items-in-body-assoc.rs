// A `use`, a `static` and an associated function declared in `main`'s body.
mod tasks {
    pub fn finish() {}
}

#[on_exit::on_exit(Local::cleanup)]
fn main() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use tasks::finish;

    static DONE: AtomicBool = AtomicBool::new(false);

    struct Local;

    impl Local {
        fn cleanup() {
            finish();
            DONE.store(true, Ordering::SeqCst);
        }
    }
}
