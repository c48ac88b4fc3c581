//! A closure handler without the reason, owning state, and a `main` returning `()`.
#![forbid(unsafe_code)]
#![deny(warnings)]

use on_exit::on_exit;
use on_exit_scenarios::log;

#[on_exit(move || log("cleanup closure"))]
fn main() {
    // An item after a statement of `main`'s own: the expansion must not make clippy's
    // `items_after_statements` fire on it.
    fn ready() {
        log("ready");
    }
    ready();
}
