//! No `extern crate` in an edition-2015 crate: the expansion's own paths (`::on_exit`,
//! `::core`) resolve at the macro's site, not as paths from this crate's root.
fn cleanup() {
    println!("cleanup saw 1");
}

#[on_exit::on_exit(cleanup, timeout = "5s", signals(interrupt, terminate), graceful)]
fn main() {}
