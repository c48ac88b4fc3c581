//! Feeds arbitrary attributes and items to the `#[on_exit]` macro, compiled in from
//! `macros/src` as a normal library on `proc-macro2` (the macro itself uses the compiler's
//! `proc_macro`, whose API is the same but works only inside a macro), with syn (full) as the
//! oracle.
//!
//! The input is UTF-8 text: the attribute's arguments on the first line, the item after it.
//! Properties:
//!
//! - never a panic, and always some output: the expanded function, or `compile_error!`s
//!   next to the original item, never both;
//! - differential, whole attribute and item: when syn parses the item as a `fn main()` the
//!   macro takes (no generics, no parameters, not `const`, no second `#[on_exit]`) and the
//!   attribute as a handler expression followed by valid options (`oracle.rs`), the macro
//!   expands, to code syn parses as a file; when syn parses both but an option is invalid,
//!   the macro refuses;
//! - the handler is never cut short: with `, graceful, timeout = "1s"` after a handler that
//!   syn parses as an expression, the macro reads that handler and those two options.
//!
//! ```text
//! cargo +nightly fuzz run expand -- -max_total_time=60
//! ```
#![no_main]

#[path = "../../macros/src/args.rs"]
mod args;
#[path = "../../macros/src/body.rs"]
mod body;
#[path = "../../macros/src/error.rs"]
mod error;
#[path = "../../macros/src/expand.rs"]
mod expand;
#[path = "../../macros/src/handler.rs"]
mod handler;
#[path = "../../macros/src/item.rs"]
mod item;
#[path = "../../macros/src/path.rs"]
mod path;
#[path = "../../macros/src/token.rs"]
mod token;

mod oracle;

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
    let verdict = oracle::judge(&attr, &item);
    let was_empty = item.is_empty();
    let output = expand::on_exit(attr.clone(), item.clone());
    let text = output.to_string();
    let expanded = text.contains("__private :: run");
    let refused = text.contains("compile_error");
    assert!(expanded != refused, "exactly one of code or an error: {text}");
    assert!(!text.is_empty() || was_empty, "no output");
    match verdict {
        oracle::Verdict::Valid => {
            assert!(
                expanded,
                "syn reads a valid attribute and `main`, the macro refused\n{attr}\n{item}\n{text}"
            );
            syn::parse2::<syn::File>(output).unwrap_or_else(|error| {
                panic!("the expansion of a valid `main` does not parse ({error}): {text}")
            });
        }
        oracle::Verdict::BadOption(why) => assert!(
            refused,
            "an invalid option ({why}) was accepted\n{attr}\n{item}\n{text}"
        ),
        oracle::Verdict::Unknown => {}
    }
});

fn handler_is_never_cut_short(handler: &TokenStream) {
    if handler.is_empty() || syn::parse2::<syn::Expr>(handler.clone()).is_err() {
        return;
    }
    let tokens = token::flatten(handler.clone());
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
    assert_eq!(
        parsed.timeout,
        Some(std::time::Duration::from_secs(1)),
        "`timeout` lost after `{handler}`"
    );
}
