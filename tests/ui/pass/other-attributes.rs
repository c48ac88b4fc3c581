// Other attributes on `main` stay, in their order, and inner attributes stay first.
#[on_exit::on_exit(cleanup)]
#[allow(unused_variables)]
#[inline(never)]
fn main() {
    #![allow(unused_mut)]
    let mut unused = 1;
}

fn cleanup() {}
