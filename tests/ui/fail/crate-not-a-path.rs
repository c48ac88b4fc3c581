// A string that is no path is reported, never lexed: a quote or a comment in it would be a
// lex error over the whole attribute.
fn cleanup() {}

#[on_exit::on_exit(cleanup, crate = "\"x")]
fn main() {}
