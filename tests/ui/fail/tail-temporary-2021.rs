// In an edition-2021 crate (this one), a temporary of `main`'s last expression outlives its
// locals, with the attribute as without it (edition 2024 drops it first: tests/editions).
use std::sync::Mutex;

fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() {
    let counter = Mutex::new(1);
    *counter.lock().unwrap() += 1
}
