// `forbid` on the lints an expansion might want to allow: nothing of the expansion's
// conflicts with it (an `allow(unreachable_code)` over the body was E0453 here, and a
// `forbidden_lint_groups` warning under `forbid(warnings)`).
#![forbid(unreachable_code, warnings)]
#![deny(forbidden_lint_groups)]

fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() {
    let _y = 1;
}
