//! Edition 2024 only: `main`'s last expression holds a lock on a local of `main`. Edition 2024
//! drops that temporary before the locals, so this compiles there, with the attribute as
//! without it (up to 2021 it would outlive `local`: E0597 both ways, tests/ui/fail).
use std::sync::Mutex;

static STATE: Mutex<u32> = Mutex::new(0);

fn cleanup() {
    println!("cleanup saw {}", *STATE.lock().unwrap());
}

#[on_exit::on_exit(cleanup)]
fn main() {
    let local = Mutex::new(1);
    *STATE.lock().unwrap() = *local.lock().unwrap();
    *local.lock().unwrap() += 1
}
