//! The item under the attribute: it must be `fn main()`. Only the signature is read; the body
//! stays opaque tokens.

use crate::body;
use crate::error::{push, Error};
use crate::token::{flatten, is, is_group, is_ident, is_punct, protect, string_value, Angles};
use crate::tokens::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};

/// `fn main`, split around its body.
pub(crate) struct MainFn {
    /// Everything before the body: attributes, qualifiers, `fn main()`, return type.
    pub(crate) signature: Vec<TokenTree>,
    /// The body's `#![...]` attributes, which must stay first.
    pub(crate) inner_attrs: TokenStream,
    /// The items that start the body (before its first statement).
    pub(crate) leading_items: TokenStream,
    /// The rest of the body.
    pub(crate) statements: TokenStream,
    /// The span of the body's braces.
    pub(crate) body_span: Span,
    /// `async fn main` (under an async runtime's attribute written below this one).
    pub(crate) is_async: bool,
    /// The return type after `->`, if any.
    pub(crate) output: Option<TokenStream>,
    /// Under an async runtime's attribute written above this one (`#[tokio::main]`), the
    /// body is that runtime's, and the user's own body is an async block in it: the install
    /// goes first in that block, where the user's items are.
    pub(crate) runtime: Option<Runtime>,
}

/// A runtime's body around the user's async block.
pub(crate) struct Runtime {
    /// The runtime's tokens before the user's block (`let body = async`).
    pub(crate) before: TokenStream,
    /// The runtime's tokens after it.
    pub(crate) after: TokenStream,
    /// The span of `main`'s braces.
    pub(crate) span: Span,
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
    // `macro_rules!` fragments (`$i:item`, `$v:vis`, `$t:ty`, `$b:block`) arrive in
    // invisible groups. They are looked through to read the signature, and kept in what is
    // emitted: a type's group keeps `&'static $t` one type (`dyn A + B` in it is not
    // ambiguous).
    let mut signature = protect(unwrap(item.into_iter().collect()));
    let body = match signature.pop().map(|last| unwrap(vec![last])) {
        Some(mut body) if body.len() == 1 && is_group(&body[0], Delimiter::Brace) => {
            let Some(TokenTree::Group(body)) = body.pop() else {
                unreachable!("checked just above")
            };
            body
        }
        last => {
            let last = last.and_then(|mut last| last.pop());
            let span = signature
                .first()
                .or(last.as_ref())
                .map_or_else(Span::call_site, TokenTree::span);
            return Err(Mistake::NotMain(not_main(span)));
        }
    };
    match check_signature(&flatten(signature.iter().cloned().collect())) {
        Ok(Signature::Main) => {}
        Ok(Signature::BadMain(error, name)) => return Err(Mistake::BadMain { error, name }),
        Err(error) => return Err(Mistake::NotMain(error)),
    }
    let (is_async, output) = async_and_output(&signature);
    let runtime = if is_async {
        None
    } else {
        body::runtime_block(body.stream())
    };
    let (inner_attrs, leading_items, statements, body_span, runtime) =
        if let Some((before, block, after)) = runtime {
            // The block's inner attributes stay first in it.
            let (inner_attrs, leading_items, statements) = body::split(block.stream());
            let runtime = Runtime {
                before,
                after,
                span: body.span(),
            };
            let mut items = inner_attrs;
            items.extend(leading_items);
            let none = TokenStream::new();
            (none, items, statements, block.span(), Some(runtime))
        } else {
            let (inner_attrs, leading_items, statements) = body::split(body.stream());
            (inner_attrs, leading_items, statements, body.span(), None)
        };
    Ok(MainFn {
        signature,
        inner_attrs,
        leading_items,
        statements,
        body_span,
        is_async,
        output,
        runtime,
    })
}

/// `tokens`, or what an invisible group that is all of them holds, looked through again.
fn unwrap(mut tokens: Vec<TokenTree>) -> Vec<TokenTree> {
    while let [TokenTree::Group(group)] = &tokens[..] {
        if group.delimiter() != Delimiter::None {
            break;
        }
        tokens = group.stream().into_iter().collect();
    }
    tokens
}

/// Whether a checked signature is `async`, and its return type: the tokens after the `->`
/// that follows the parameters, up to a `where` clause.
fn async_and_output(signature: &[TokenTree]) -> (bool, Option<TokenStream>) {
    let mut fn_at = 0;
    for (at, token) in signature.iter().enumerate() {
        if is_ident(token, "fn") {
            fn_at = at;
            break;
        }
    }
    let mut is_async = false;
    for token in &signature[..fn_at] {
        if is_ident(token, "async") {
            is_async = true;
            break;
        }
    }
    let mut after_params = signature.len();
    for (at, token) in signature.iter().enumerate().skip(fn_at) {
        if is_group(token, Delimiter::Parenthesis) {
            after_params = at + 1;
            break;
        }
    }
    let output = match &signature[after_params..] {
        [TokenTree::Punct(minus), TokenTree::Punct(greater), rest @ ..]
            if minus.as_char() == '-' && greater.as_char() == '>' =>
        {
            let mut output = Vec::new();
            for token in rest {
                if is_ident(token, "where") {
                    break;
                }
                output.push(token.clone());
            }
            Some(output.into_iter().collect())
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

/// Reads `ATTRS VIS QUALIFIERS fn main GENERICS (PARAMS) -> RET WHERE`, token by token; the
/// return type and a where clause are left to rustc.
fn check_signature(signature: &[TokenTree]) -> Result<Signature, Error> {
    let mut tokens = Cursor {
        tokens: signature,
        at: 0,
    };
    // Outer attributes: `#[...]`. A second `#[on_exit]` would install a second time.
    let mut errors: Option<Error> = None;
    let mut report = |error: Error| push(&mut errors, error);
    while tokens.is_punct('#') {
        tokens.next();
        let Some(TokenTree::Group(attribute)) = tokens.next() else {
            return Err(Error::new(tokens.span(), "expected an attribute: `#[...]`"));
        };
        if names_on_exit(attribute) {
            report(Error::new(
                attribute.span(),
                "`#[on_exit]` is given twice on this `main`: put every option in one attribute",
            ));
        }
    }
    // Visibility: `pub`, `pub(crate)`, `pub(in path)`.
    if tokens.is_ident("pub") {
        tokens.next();
        if tokens.is_parenthesized() {
            tokens.next();
        }
    }
    // `async`, `unsafe`, `extern "C"`: rustc has its own word for those on `main`. `const`
    // would make rustc complain about the expansion instead: say it here, once.
    while !tokens.is_ident("fn") {
        if tokens.is_ident("const") {
            report(Error::new(
                tokens.span(),
                "`main` function is not allowed to be `const`",
            ));
        } else if !(tokens.is_ident("async")
            || tokens.is_ident("unsafe")
            || tokens.is_ident("extern")
            || tokens.is_string())
        {
            return Err(not_main(tokens.span()));
        }
        tokens.next();
    }
    tokens.next();
    let Some(TokenTree::Ident(name)) = tokens.peek() else {
        return Err(Error::new(tokens.span(), "expected identifier"));
    };
    let name = name.clone();
    tokens.next();
    if !is(&name, "main") && !is(&name, "r#main") {
        return Err(Error::new(
            name.span(),
            format!("`#[on_exit]` can only be used on `fn main`, not on `fn {name}`"),
        ));
    }
    if tokens.is_punct('<') {
        let generics = tokens.angle_bracketed()?;
        // `fn main<>()` has none, as rustc reads it.
        if generics.clone().into_iter().count() > 2 {
            report(Error::spanning(
                generics,
                "`main` cannot have generic parameters",
            ));
        }
    }
    match tokens.next() {
        Some(TokenTree::Group(params)) if params.delimiter() == Delimiter::Parenthesis => {
            if !params.stream().is_empty() {
                report(Error::spanning(
                    params.stream(),
                    "`main` cannot take parameters",
                ));
            }
        }
        Some(other) => return Err(not_main(other.span())),
        None => return Err(not_main(Span::call_site())),
    }
    // The return type and a where clause follow; rustc checks them.
    Ok(match errors {
        Some(error) => Signature::BadMain(error, name),
        None => Signature::Main,
    })
}

/// A place in the signature's tokens.
struct Cursor<'a> {
    tokens: &'a [TokenTree],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<&'a TokenTree> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<&'a TokenTree> {
        let token = self.peek();
        self.at += 1;
        token
    }

    /// The next token's span; the macro's call site at the end.
    fn span(&self) -> Span {
        self.peek().map_or_else(Span::call_site, TokenTree::span)
    }

    fn is_ident(&self, name: &str) -> bool {
        matches!(self.peek(), Some(token) if is_ident(token, name))
    }

    fn is_punct(&self, char: char) -> bool {
        matches!(self.peek(), Some(token) if is_punct(token, char))
    }

    fn is_parenthesized(&self) -> bool {
        matches!(self.peek(), Some(token) if is_group(token, Delimiter::Parenthesis))
    }

    /// A string literal, such as an ABI's `"C"`.
    fn is_string(&self) -> bool {
        matches!(self.peek(), Some(TokenTree::Literal(l)) if string_value(l).is_some())
    }

    /// `<...>`, up to the matching `>` (the `>` of `->` and `=>` is not one).
    fn angle_bracketed(&mut self) -> Result<TokenStream, Error> {
        let mut generics = Vec::new();
        let mut angles = Angles::default();
        loop {
            let Some(token) = self.next() else {
                return Err(Error::new(
                    Span::call_site(),
                    "unexpected end of input, expected `>`",
                ));
            };
            angles.track(token);
            generics.push(token.clone());
            if angles.depth == 0 {
                return Ok(generics.into_iter().collect());
            }
        }
    }
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
    for token in flatten(attribute.stream()) {
        match token {
            TokenTree::Ident(ident) => last_ident = Some(ident),
            TokenTree::Punct(punct) if punct.as_char() == ':' => {}
            _ => break,
        }
    }
    matches!(last_ident, Some(ident) if is(&ident, "on_exit"))
}
