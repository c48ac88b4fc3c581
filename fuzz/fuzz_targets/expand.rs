//! Feeds arbitrary attribute arguments and items to the `#[on_exit]` macro's parse and expand
//! functions, compiled in from `macros/src` as a normal library on `proc-macro2` (the macro itself
//! uses the compiler's `proc_macro`, whose API is the same but works only inside a macro).
//!
//! The input is UTF-8 text: the attribute's arguments on the first line, the item after it.
//! Properties:
//!
//! - never a panic, and always some output: the expanded function, or a `compile_error!`
//!   next to the original item;
//! - differential: when syn's full expression parser accepts the first line as an
//!   expression (that is not itself shaped like an option), the attribute
//!   `#[on_exit(EXPR, graceful, timeout = "1s")]` splits into exactly that handler and those
//!   two options.
//!
//! ```text
//! cargo +nightly fuzz run expand -- -max_total_time=60
//! ```
#![no_main]

#[path = "../../macros/src/args.rs"]
mod args;
#[path = "../../macros/src/error.rs"]
mod error;
#[path = "../../macros/src/expand.rs"]
mod expand;
#[path = "../../macros/src/item.rs"]
mod item;

use std::str::FromStr;

/// The token API the macro's modules use: proc-macro2 here, as in their unit tests.
use proc_macro2 as tokens;

use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (attr, item) = text.split_once('\n').unwrap_or((text, ""));
    // Only what rustc's lexer would accept reaches a macro.
    let (Ok(attr), Ok(item)) = (TokenStream::from_str(attr), TokenStream::from_str(item)) else {
        return;
    };
    handler_is_never_cut_short(&attr);
    let was_empty = item.is_empty();
    let output = expand::on_exit(attr, item).to_string();
    let expanded = output.contains("__on_exit_guard");
    let refused = output.contains("compile_error");
    assert!(expanded != refused, "exactly one of code or an error: {output}");
    assert!(!output.is_empty() || was_empty, "no output");
});

fn handler_is_never_cut_short(handler: &TokenStream) {
    if handler.is_empty() || syn::parse2::<syn::Expr>(handler.clone()).is_err() {
        return;
    }
    let tokens: Vec<proc_macro2::TokenTree> = handler.clone().into_iter().collect();
    if args::looks_like_option(&tokens) {
        return; // `timeout = 5` is an expression too, and rightly read as a misplaced option
    }
    let attr: TokenStream = format!("{handler}, graceful, timeout = \"1s\"")
        .parse()
        .expect("re-lexes");
    let parsed = args::parse(attr).unwrap_or_else(|error| {
        panic!("the valid handler `{handler}` was not accepted: {error}")
    });
    // The same tokens; only the spacing printed around a re-made comma may differ.
    let tokens = |stream: &TokenStream| stream.to_string().replace(' ', "");
    assert_eq!(tokens(&parsed.handler), tokens(handler), "handler cut");
    assert!(parsed.graceful.is_some(), "`graceful` lost after `{handler}`");
    assert_eq!(parsed.timeout_ms, Some(1_000), "`timeout` lost after `{handler}`");
}
