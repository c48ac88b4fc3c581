// Items first in `main`'s body whose header holds braces (const arguments and defaults):
// the install goes after the whole item, not inside it.
#![allow(dead_code, unused_braces, non_local_definitions)]

struct W<const N: usize>;

trait Tr2<const N: usize> {}

fn cleanup() {}

#[on_exit::on_exit(cleanup)]
fn main() {
    impl W<{ 1 }> {
        fn go() {}
    }
    fn mk() -> W<{ 1 + 1 }> {
        W
    }
    struct V<const N: usize = { 1 }>;
    enum E<const N: usize = { 3 }> {
        A,
    }
    trait T: Tr2<{ 1 }> {}
    unsafe impl Send for V<{ 1 }> {}
    W::<1>::go();
    let _ = (mk(), V::<1>, E::<3>::A);
}
