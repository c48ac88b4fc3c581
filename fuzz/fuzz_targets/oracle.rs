//! What a syn-based `#[on_exit]` would say: the attribute is a handler expression and
//! options, `signals(NAME, ...)`, `timeout = "DURATION"`, `graceful`, `crate = PATH` (or
//! `"PATH"`), each once, comma separated; the item is a `fn main()` with no generics, no
//! parameters, not `const`, and no second `#[on_exit]`.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token};

use crate::args::{looks_like_option, parse_duration};
use crate::token::flatten;

pub enum Verdict {
    /// Both parse and are valid: the macro must expand.
    Valid,
    /// The item is a valid `main` and the handler an expression, but the options are not
    /// valid: the macro must refuse.
    BadOption(String),
    /// Anything else (rustc would have its say): no expectation.
    Unknown,
}

const SIGNALS: [&str; 8] = [
    "interrupt", "terminate", "hangup", "quit", "ctrl_break", "close", "logoff", "shutdown",
];

pub fn judge(attr: &TokenStream, item: &TokenStream) -> Verdict {
    let Ok(function) = syn::parse2::<syn::ItemFn>(item.clone()) else {
        return Verdict::Unknown;
    };
    let sig = &function.sig;
    let names_on_exit = function.attrs.iter().any(|attribute| {
        attribute
            .path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "on_exit")
    });
    if sig.ident.unraw() != "main"
        || sig.constness.is_some()
        || !sig.generics.params.is_empty()
        || sig.generics.lt_token.is_some()
        || !sig.inputs.is_empty()
        || sig.variadic.is_some()
        || names_on_exit
    {
        return Verdict::Unknown;
    }
    let result = (|input: ParseStream| -> syn::Result<Verdict> {
        let handler: Expr = input.parse()?;
        let tokens: TokenStream = quote::ToTokens::to_token_stream(&handler);
        if looks_like_option(&flatten(tokens)) {
            return Ok(Verdict::BadOption("an option where the handler should be".into()));
        }
        Ok(match options(input) {
            Ok(None) => Verdict::Valid,
            Ok(Some(unknown)) => unknown,
            Err(error) => Verdict::BadOption(error.to_string()),
        })
    })
    .parse2(attr.clone());
    // A handler syn cannot parse: rustc would have its say.
    result.unwrap_or(Verdict::Unknown)
}

/// The options after the handler: `None` when valid, `Some(Unknown)` when syn and the
/// macro rightly differ (see `crate_string`).
fn options(input: ParseStream) -> syn::Result<Option<Verdict>> {
    let mut seen: Vec<String> = Vec::new();
    loop {
        if input.is_empty() {
            return Ok(None);
        }
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            return Ok(None);
        }
        let name = input.call(Ident::parse_any)?;
        let text = name.to_string();
        if seen.contains(&text) {
            return Err(syn::Error::new(name.span(), "duplicate option"));
        }
        seen.push(text.clone());
        match text.as_str() {
            "graceful" => {}
            "signals" => {
                let content;
                syn::parenthesized!(content in input);
                let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
                let mut listed: Vec<String> = Vec::new();
                for name in names {
                    let text = name.to_string();
                    if !SIGNALS.contains(&text.as_str()) || listed.contains(&text) {
                        return Err(syn::Error::new(name.span(), "bad signal"));
                    }
                    listed.push(text);
                }
            }
            "timeout" => {
                input.parse::<Token![=]>()?;
                let value: LitStr = input.parse()?;
                if !value.suffix().is_empty() || parse_duration(&value.value()).is_none() {
                    return Err(syn::Error::new(value.span(), "bad duration"));
                }
            }
            "crate" => {
                input.parse::<Token![=]>()?;
                if input.peek(LitStr) {
                    let value: LitStr = input.parse()?;
                    if !value.suffix().is_empty() {
                        return Err(syn::Error::new(value.span(), "suffix"));
                    }
                    if let Some(verdict) = crate_string(&value.value())? {
                        return Ok(Some(verdict));
                    }
                } else {
                    syn::Path::parse_mod_style(input)?;
                }
            }
            _ => return Err(syn::Error::new(name.span(), "unknown option")),
        }
    }
}

/// `crate = "..."`: the text must be a module path. The macro reads ASCII identifiers only
/// and no comments (it never lexes the text): those are `Unknown` here.
fn crate_string(text: &str) -> syn::Result<Option<Verdict>> {
    if !text.is_ascii() || text.contains('/') {
        return Ok(Some(Verdict::Unknown));
    }
    let path = syn::parse_str::<syn::Path>(text)
        .map_err(|error| syn::Error::new(proc_macro2::Span::call_site(), error))?;
    if path
        .segments
        .iter()
        .any(|segment| !segment.arguments.is_none())
    {
        return Err(syn::Error::new(proc_macro2::Span::call_site(), "generics"));
    }
    Ok(None)
}
