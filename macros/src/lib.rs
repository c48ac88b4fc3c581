//! The `#[on_exit]` attribute. Use it through the [`on-exit`](https://docs.rs/on-exit) crate,
//! which documents it; this crate only holds the macro.
//!
//! `args.rs` parses the attribute's arguments (`handler.rs` finds where the handler ends,
//! `path.rs` reads `crate = ...`), `item.rs` reads `fn main`'s signature (its body stays
//! opaque tokens, split where the install goes by `body.rs`), `expand.rs` generates code from those typed inputs, `error.rs` turns
//! mistakes into `compile_error!`s at the user's tokens, and `token.rs` reads single tokens
//! (names, punctuation, string literals, the invisible groups of `macro_rules!` fragments).
//!
//! It depends on nothing but the compiler's `proc_macro`: no syn, quote or proc-macro2, whose
//! builds would cost a quick script's cold build more than the rest of on-exit together. The
//! unit tests and the fuzz target (`fuzz/`) compile the same modules on proc-macro2, whose
//! API is the same and works outside a macro.

#![forbid(unsafe_code)]

mod args;
mod body;
mod error;
mod expand;
mod handler;
mod item;
mod path;
mod token;

/// The token API the modules use: the compiler's own in the macro, proc-macro2 in the unit
/// tests (the fuzz target makes the same choice).
#[cfg(not(test))]
use proc_macro as tokens;
#[cfg(test)]
use proc_macro2 as tokens;

/// Runs a cleanup exactly once however the program ends. See the `on-exit` crate's docs.
#[proc_macro_attribute]
pub fn on_exit(
    attr: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    // Conversions only in the unit tests' build, where the modules work on proc-macro2.
    #[allow(clippy::useless_conversion)]
    let output = expand::on_exit(attr.into(), item.into()).into();
    output
}
