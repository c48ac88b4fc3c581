// Handler expressions with `<` and `>` that are not generics, and commas that are inside
// generics or closure parameters: the options after them are still read as options.
use std::sync::atomic::{AtomicU8, Ordering};

static LEVEL: AtomicU8 = AtomicU8::new(0);

#[on_exit::on_exit(|| if LEVEL.load(Ordering::SeqCst) < 2 { eprintln!("low") }, timeout = "1s", graceful)]
fn main() {
    let close = |a: u8, b: u8| a < b && b > a;
    assert!(close(1, 2));
    let _ = std::convert::identity::<Result<u8, u8>>(Ok(1));
}
