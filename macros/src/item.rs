//! The item under the attribute: it must be `fn main()`. Only the signature is read; the body
//! stays opaque tokens.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser as _};
use syn::{Error, Token};

use crate::args::Angles;

/// `fn main`, split around its body.
pub(crate) struct MainFn {
    /// Everything before the body: attributes, qualifiers, `fn main()`, return type.
    pub(crate) signature: Vec<TokenTree>,
    /// The body's `#![...]` attributes, which must stay first.
    pub(crate) inner_attrs: TokenStream,
    /// The rest of the body.
    pub(crate) statements: TokenStream,
    /// The span of the body's braces.
    pub(crate) body_span: Span,
    /// `async fn main` (under an async runtime's attribute written below this one).
    pub(crate) is_async: bool,
    /// The return type after `->`, if any.
    pub(crate) output: Option<TokenStream>,
}

/// Why the item is not a `fn main()` the attribute can wrap.
pub(crate) enum Mistake {
    /// Not `fn main` at all: the item is emitted unchanged next to the error.
    NotMain(Error),
    /// `fn main` with parameters or generics: rustc would add its own error about `main`, so the
    /// expansion renames the function and emits a stand-in `main`.
    BadMain { error: Error, name: Ident },
}

impl Mistake {
    pub(crate) fn error(&self) -> &Error {
        match self {
            Mistake::NotMain(error) | Mistake::BadMain { error, .. } => error,
        }
    }
}

pub(crate) fn parse(item: TokenStream) -> Result<MainFn, Mistake> {
    let mut signature: Vec<TokenTree> = item.into_iter().collect();
    let body = match signature.pop() {
        Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace => body,
        last => {
            let span = signature
                .first()
                .or(last.as_ref())
                .map_or_else(Span::call_site, TokenTree::span);
            return Err(Mistake::NotMain(not_main(span)));
        }
    };
    let check = |input: ParseStream| check_signature(input);
    let checked = check.parse2(signature.iter().cloned().collect());
    match checked {
        Ok(Signature::Main) => {}
        Ok(Signature::BadMain(error, name)) => return Err(Mistake::BadMain { error, name }),
        Err(error) => return Err(Mistake::NotMain(error)),
    }
    let (inner_attrs, statements) = split_inner_attrs(body.stream());
    let (is_async, output) = async_and_output(&signature);
    Ok(MainFn {
        signature,
        inner_attrs,
        statements,
        body_span: body.span(),
        is_async,
        output,
    })
}

/// Whether a checked signature is `async`, and its return type: the tokens after the `->`
/// that follows the parameters, up to a `where` clause.
fn async_and_output(signature: &[TokenTree]) -> (bool, Option<TokenStream>) {
    let fn_at = signature
        .iter()
        .position(|token| matches!(token, TokenTree::Ident(i) if i == "fn"))
        .unwrap_or(0);
    let is_async = signature[..fn_at]
        .iter()
        .any(|token| matches!(token, TokenTree::Ident(i) if i == "async"));
    let after_params = signature[fn_at..]
        .iter()
        .position(
            |token| matches!(token, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis),
        )
        .map_or(signature.len(), |at| fn_at + at + 1);
    let output = match &signature[after_params..] {
        [TokenTree::Punct(minus), TokenTree::Punct(greater), rest @ ..]
            if minus.as_char() == '-' && greater.as_char() == '>' =>
        {
            Some(
                rest.iter()
                    .take_while(|token| !matches!(token, TokenTree::Ident(i) if i == "where"))
                    .cloned()
                    .collect(),
            )
        }
        _ => None,
    };
    (is_async, output)
}

enum Signature {
    Main,
    BadMain(Error, Ident),
}

fn not_main(span: Span) -> Error {
    Error::new(span, "`#[on_exit]` can only be used on `fn main`")
}

/// Reads `ATTRS VIS QUALIFIERS fn main GENERICS (PARAMS) -> RET WHERE`, token by token
/// (syn's `derive` feature, which parses these as types, costs a second of every cold build).
fn check_signature(input: ParseStream) -> syn::Result<Signature> {
    // Outer attributes: `#[...]`. A second `#[on_exit]` would install a second time.
    let mut errors: Option<Error> = None;
    let mut report = |error: Error| crate::args::push(&mut errors, error);
    while input.peek(Token![#]) {
        let hash = input.parse::<Token![#]>()?;
        let attribute = input.parse::<Group>()?;
        if names_on_exit(&attribute) {
            let mut span = attribute.span();
            span = hash.span.join(span).unwrap_or(span);
            report(Error::new(
                span,
                "`#[on_exit]` is given twice on this `main`: put every option in one attribute",
            ));
        }
    }
    // Visibility: `pub`, `pub(crate)`, `pub(in path)`.
    if input.peek(Token![pub]) {
        input.parse::<Token![pub]>()?;
        if input.peek(syn::token::Paren) {
            input.parse::<Group>()?;
        }
    }
    // `async`, `unsafe`, `extern "C"`: rustc has its own word for those on `main`. `const`
    // would make rustc complain about the expansion instead: say it here, once.
    while !input.peek(Token![fn]) {
        if input.peek(Token![const]) {
            let constness = input.parse::<Token![const]>()?;
            report(Error::new(
                constness.span,
                "`main` function is not allowed to be `const`",
            ));
        } else if input.peek(Token![async])
            || input.peek(Token![unsafe])
            || input.peek(Token![extern])
            || input.peek(syn::LitStr)
        {
            input.parse::<TokenTree>()?;
        } else {
            return Err(not_main(input.span()));
        }
    }
    input.parse::<Token![fn]>()?;
    let name: Ident = input.parse()?;
    if name != "main" {
        return Err(Error::new(
            name.span(),
            format!("`#[on_exit]` can only be used on `fn main`, not on `fn {name}`"),
        ));
    }
    if input.peek(Token![<]) {
        let generics = angle_bracketed(input)?;
        report(Error::new_spanned(
            generics,
            "`main` cannot have generic parameters",
        ));
    }
    let params: Group = input.parse()?;
    if params.delimiter() != Delimiter::Parenthesis {
        return Err(not_main(params.span()));
    }
    if !params.stream().is_empty() {
        report(Error::new_spanned(
            params.stream(),
            "`main` cannot take parameters",
        ));
    }
    // The return type and a where clause follow; rustc checks them.
    input.parse::<TokenStream>()?;
    Ok(match errors {
        Some(error) => Signature::BadMain(error, name),
        None => Signature::Main,
    })
}

/// The item without its `#[on_exit]` attributes: after a mistake, a second attribute must
/// not expand again on the renamed function.
pub(crate) fn without_on_exit(item: TokenStream) -> TokenStream {
    let mut tokens: Vec<TokenTree> = Vec::new();
    for token in item {
        if let TokenTree::Group(group) = &token {
            if group.delimiter() == Delimiter::Bracket
                && names_on_exit(group)
                && matches!(tokens.last(), Some(TokenTree::Punct(p)) if p.as_char() == '#')
            {
                tokens.pop();
                continue;
            }
        }
        tokens.push(token);
    }
    tokens.into_iter().collect()
}

/// Whether an attribute's `[...]` is `on_exit`, `on_exit(...)`, or a path ending in it.
fn names_on_exit(attribute: &Group) -> bool {
    let mut last_ident = None;
    for token in attribute.stream() {
        match token {
            TokenTree::Ident(ident) => last_ident = Some(ident),
            TokenTree::Punct(punct) if punct.as_char() == ':' => {}
            _ => break,
        }
    }
    last_ident.is_some_and(|ident| ident == "on_exit")
}

/// `<...>`, up to the matching `>` (the `>` of `->` and `=>` is not one).
fn angle_bracketed(input: ParseStream) -> syn::Result<TokenStream> {
    let mut tokens = TokenStream::new();
    let mut angles = Angles::default();
    loop {
        let token: TokenTree = input.parse()?;
        angles.track(&token);
        tokens.extend([token]);
        if angles.depth == 0 {
            return Ok(tokens);
        }
    }
}

/// Splits `#![...]` attributes off the start of the body.
fn split_inner_attrs(body: TokenStream) -> (TokenStream, TokenStream) {
    let tokens: Vec<TokenTree> = body.into_iter().collect();
    let mut end = 0;
    while let [TokenTree::Punct(hash), TokenTree::Punct(bang), TokenTree::Group(group), ..] =
        &tokens[end..]
    {
        if hash.as_char() != '#' || bang.as_char() != '!' || group.delimiter() != Delimiter::Bracket
        {
            break;
        }
        end += 3;
    }
    let mut tokens = tokens.into_iter();
    let inner: TokenStream = tokens.by_ref().take(end).collect();
    (inner, tokens.collect())
}
