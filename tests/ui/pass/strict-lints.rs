// The expansion is silent under the strictest settings a user may have.
#![forbid(unsafe_code)]
#![deny(warnings, missing_docs, unused, rust_2018_idioms, clippy::all, clippy::pedantic)]
//! A strict crate.

use on_exit::on_exit;

fn cleanup() {}

#[on_exit(cleanup)]
fn main() {
    fn helper() {}
    let value = 1;
    helper();
    let _ = value;
}
