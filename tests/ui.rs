//! Compile-time behaviour of `#[on_exit]`: what compiles (`ui/pass`, each also runs) and the
//! error for each mistake a user can make (`ui/fail`, with the expected `.stderr`).
//!
//! After an intended change to an error message: `TRYBUILD=overwrite cargo test --test ui`,
//! then read the diff of the `.stderr` files.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
