//! An empty `main` that installs a ctrlc handler by hand.
fn main() {
    ctrlc::set_handler(|| {}).expect("ctrlc installs");
}
