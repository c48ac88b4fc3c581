//! `on-exit` depended on as `exit_guard`.
fn cleanup(reason: exit_guard::Reason) {
    println!("cleanup {reason:?}");
}

#[exit_guard::on_exit(cleanup, crate = "exit_guard")]
fn main() {}
