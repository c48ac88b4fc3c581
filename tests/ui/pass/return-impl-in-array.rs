// `impl Trait` as an array's element in the return type: the array's length stays (it was
// taken into the `impl` type, and a valid `main` had three errors). In an array's length,
// which is an expression, `impl` is an item's, and stays too.
fn cleanup() {}

mod element {
    #[on_exit::on_exit(crate::cleanup)]
    pub fn main() -> Result<(), [impl std::fmt::Debug; 2]> {
        if std::env::args().count() > 100 {
            return Err([1, 2]);
        }
        Ok(())
    }
}

mod length {
    #[on_exit::on_exit(crate::cleanup)]
    pub fn main() -> Result<(), [u8; {
        struct S;
        impl S {
            const N: usize = 2;
        }
        S::N
    }]> {
        Ok(())
    }
}

fn main() {
    // Each installs once, so only one of them runs in this program; both compile.
    match std::env::args().count() {
        0 => element::main().unwrap(),
        _ => length::main().unwrap(),
    }
}
