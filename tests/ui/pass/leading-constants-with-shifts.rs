// A constant whose value has a shift or a comparison, first in the body: the install goes
// right after it, before the statements that follow. (It went after a later `>>` or `>`,
// where the handler's name was a local's, and a panic between the two ran no cleanup.)
fn cleanup() {}

mod shift {
    use super::cleanup;

    #[on_exit::on_exit(cleanup)]
    pub fn main() {
        const A: u32 = 1 << 3;
        let cleanup = A;
        const B: u32 = A >> 1;
        let _ = (cleanup, B);
    }
}

mod comparison {
    use super::cleanup;

    #[on_exit::on_exit(cleanup)]
    pub fn main() {
        const A: bool = 1 < 2;
        let cleanup = u8::from(A);
        let _ = cleanup > 0;
    }
}

fn main() {
    // Each installs once, so only one of them runs in this program; both compile.
    match std::env::args().count() {
        0 => shift::main(),
        _ => comparison::main(),
    }
}
