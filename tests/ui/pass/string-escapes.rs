// Escapes in the options' strings mean what Rust says: `\x35` is `5`, `\u{73}` is `s`, and
// a `\` at the end of a line continues the string after the next line's indentation.
fn cleanup() {}

#[on_exit::on_exit(cleanup, timeout = "\x35\u{73}", crate = "on_\
                                                               exit")]
fn main() {}
