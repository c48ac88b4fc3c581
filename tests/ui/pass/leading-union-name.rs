// `union` is a name outside a union item: a statement that starts with one (`union as u32`)
// is a statement, and the install goes before it (it was read as an item, and the install
// went inside the statement).
#![allow(non_upper_case_globals)]
const union: u32 = 1;

fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() {
    union as u32 + { 0 };
}
