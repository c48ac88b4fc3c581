//! The `#[on_exit]` attribute. Use it through the [`on-exit`](https://docs.rs/on-exit) crate,
//! which documents it; this crate only holds the macro.
//!
//! `args.rs` parses the attribute's arguments, `item.rs` reads `fn main`'s signature (its body
//! stays opaque tokens), and `expand.rs` generates code from those typed inputs.

mod args;
mod expand;
mod item;

use proc_macro::TokenStream;

/// Runs a cleanup exactly once however the program ends. See the `on-exit` crate's docs.
#[proc_macro_attribute]
pub fn on_exit(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::on_exit(attr.into(), item.into()).into()
}
