// The user's own lint levels apply to `main`'s body: the expansion puts no `allow` over it,
// so code after a `return` is reported as without the attribute.
#![deny(unreachable_code)]

fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() {
    return;
    let _y = 1;
}
