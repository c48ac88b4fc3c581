//! `main` returns a value computed from a temporary `MutexGuard` in its last expression.
extern crate on_exit;

use std::sync::Mutex;

static STATE: Mutex<u32> = Mutex::new(41);

fn cleanup() {
    println!("cleanup saw {}", *STATE.lock().unwrap());
}

fn check(value: u32) -> Result<(), String> {
    if value == 41 {
        Ok(())
    } else {
        Err(format!("unexpected {}", value))
    }
}

#[on_exit::on_exit(cleanup)]
fn main() -> Result<(), String> {
    check(*STATE.lock().unwrap())
}
