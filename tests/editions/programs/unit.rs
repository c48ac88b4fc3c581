//! `main` returns `()`; its last expression's temporary `MutexGuard` must be gone before the
//! cleanup locks the same mutex (up to edition 2021 it outlived `main`'s locals).
extern crate on_exit;

use std::sync::Mutex;

static STATE: Mutex<u32> = Mutex::new(0);

fn cleanup() {
    println!("cleanup saw {}", *STATE.lock().unwrap());
}

#[on_exit::on_exit(cleanup)]
fn main() {
    *STATE.lock().unwrap() += 1
}
