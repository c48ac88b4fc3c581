//! The baseline: an empty `main`.
fn main() {}
