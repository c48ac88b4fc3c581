//! `main`'s body, split where the install goes: after its inner attributes (which must stay
//! first) and after the items it starts with. The items are visible from the whole block
//! either way; the install after them keeps clippy's `items_after_statements` quiet about a
//! body that has no statement before its items.

use crate::token::{is_group, is_ident, is_punct, protect, Angles};
use crate::tokens::{Delimiter, Group, TokenStream, TokenTree};

/// The body's `#![...]` attributes, the items that start it, and the rest.
pub(crate) fn split(body: TokenStream) -> (TokenStream, TokenStream, TokenStream) {
    let tokens = protect(body.into_iter().collect());
    let mut inner_end = 0;
    while let [hash, bang, group, ..] = &tokens[inner_end..] {
        if !(is_punct(hash, '#') && is_punct(bang, '!') && is_group(group, Delimiter::Bracket)) {
            break;
        }
        inner_end += 3;
    }
    let mut items_end = inner_end;
    while let Some(end) = item_end(&tokens, items_end) {
        items_end = end;
    }
    let part = |range: std::ops::Range<usize>| tokens[range].iter().cloned().collect();
    (
        part(0..inner_end),
        part(inner_end..items_end),
        part(items_end..tokens.len()),
    )
}

/// The user's async block in the body an async runtime's attribute written above this one
/// made of `async fn main`, with the tokens before and after it. tokio's is `let body = async
/// { .. };`, then (in recent versions) `let body = { .. };`, then, with outer attributes, the
/// runtime built and blocking on it: a block (tokio-macros 1.8 on) or a last statement (1.5 to
/// 1.7) that holds `.expect("Failed building the Runtime")` and `.block_on(body)`, and
/// nothing after it. A body of the user's own, with an early `return` before a
/// `block_on(body)`, is not read as tokio's: the install is its first statement.
pub(crate) fn runtime_block(body: TokenStream) -> Option<(TokenStream, Group, TokenStream)> {
    let tokens = protect(body.into_iter().collect());
    let [let_, name, equals, async_, TokenTree::Group(block), semicolon, rest @ ..] = &tokens[..]
    else {
        return None;
    };
    let starts = is_ident(let_, "let")
        && is_ident(name, "body")
        && is_punct(equals, '=')
        && is_ident(async_, "async")
        && block.delimiter() == Delimiter::Brace
        && is_punct(semicolon, ';');
    if !(starts && ends_like_tokio(rest)) {
        return None;
    }
    let before = tokens[..4].iter().cloned().collect();
    let after = tokens[5..].iter().cloned().collect();
    Some((before, block.clone(), after))
}

/// Whether `rest` is tokio's end of the body: `let body = ..;` statements, then outer
/// attributes and a block, or a last statement, that builds tokio's runtime and blocks on the
/// body.
fn ends_like_tokio(rest: &[TokenTree]) -> bool {
    let mut at = 0;
    while at + 2 < rest.len()
        && is_ident(&rest[at], "let")
        && is_ident(&rest[at + 1], "body")
        && is_punct(&rest[at + 2], '=')
    {
        match ends_at_semicolon(rest, at) {
            Some(end) => at = end,
            None => return false,
        }
    }
    while at + 1 < rest.len()
        && is_punct(&rest[at], '#')
        && is_group(&rest[at + 1], Delimiter::Bracket)
    {
        at += 2;
    }
    let last: Vec<TokenTree> = match &rest[at..] {
        [TokenTree::Group(block)] if block.delimiter() == Delimiter::Brace => {
            block.stream().into_iter().collect()
        }
        statement => {
            // One statement, a chain of calls: no `;` but a last one, and no block (an
            // `if early() { return; }` before the runtime is the user's own).
            let end = ends_at_semicolon(statement, 0).unwrap_or(statement.len());
            for token in statement {
                if is_group(token, Delimiter::Brace) {
                    return false;
                }
            }
            if end < statement.len() {
                return false;
            }
            statement.to_vec()
        }
    };
    blocks_on_body(&last) && builds_tokio(&last)
}

/// Whether `tokens` hold tokio's `.expect("Failed building the Runtime")`.
fn builds_tokio(tokens: &[TokenTree]) -> bool {
    for token in tokens {
        if let TokenTree::Group(group) = token {
            if group.delimiter() == Delimiter::Parenthesis
                && group.stream().to_string() == "\"Failed building the Runtime\""
            {
                return true;
            }
        }
    }
    false
}

/// Whether `tokens` (groups included) hold `block_on(body)`.
fn blocks_on_body(tokens: &[TokenTree]) -> bool {
    for (at, token) in tokens.iter().enumerate() {
        let found = match token {
            TokenTree::Group(group) => {
                blocks_on_body(&group.stream().into_iter().collect::<Vec<_>>())
            }
            _ => {
                is_ident(token, "block_on")
                    && matches!(tokens.get(at + 1), Some(TokenTree::Group(args))
                        if matches!(&args.stream().into_iter().collect::<Vec<_>>()[..],
                            [arg] if is_ident(arg, "body")))
            }
        };
        if found {
            return true;
        }
    }
    false
}

/// If an item starts at `start`, the index just after it. Only the plain kinds are read;
/// anything else (a macro, a `let`, an expression) ends the leading items.
fn item_end(tokens: &[TokenTree], start: usize) -> Option<usize> {
    let mut at = start;
    // Outer attributes and a visibility.
    while matches!(tokens.get(at), Some(t) if is_punct(t, '#'))
        && matches!(tokens.get(at + 1), Some(t) if is_group(t, Delimiter::Bracket))
    {
        at += 2;
    }
    if matches!(tokens.get(at), Some(t) if is_ident(t, "pub")) {
        at += 1;
        if matches!(tokens.get(at), Some(t) if is_group(t, Delimiter::Parenthesis)) {
            at += 1;
        }
    }
    let word = |at: usize, name: &str| matches!(tokens.get(at), Some(t) if is_ident(t, name));
    let ident_at = |at: usize| matches!(tokens.get(at), Some(TokenTree::Ident(_)));
    // `const`, `unsafe`, `async` and `extern` qualify a function, or start an expression.
    let mut fn_at = at;
    while word(fn_at, "const") || word(fn_at, "unsafe") || word(fn_at, "async") {
        fn_at += 1;
    }
    if word(fn_at, "extern") {
        fn_at += 1;
        if matches!(tokens.get(fn_at), Some(TokenTree::Literal(_))) {
            fn_at += 1;
        }
    }
    if word(fn_at, "fn") || (fn_at > at && (word(fn_at, "impl") || word(fn_at, "trait"))) {
        return ends_at_block(tokens, fn_at);
    }
    // `extern crate x;`, or `extern "C" { ... }`, `unsafe extern "C" { ... }` (edition 2024's).
    let extern_at = if word(at, "unsafe") { at + 1 } else { at };
    if word(extern_at, "extern") {
        return if word(extern_at + 1, "crate") {
            ends_at_semicolon(tokens, at)
        } else {
            ends_at_block(tokens, at)
        };
    }
    // `union` is a name elsewhere (`union as u32`): an item only as `union U {`, `<` or `where`.
    let union = word(at, "union")
        && ident_at(at + 1)
        && !word(at + 1, "as")
        && matches!(tokens.get(at + 2), Some(t)
            if is_group(t, Delimiter::Brace) || is_punct(t, '<') || is_ident(t, "where"));
    if word(at, "struct") || word(at, "enum") || union {
        return ends_at_block_or_semicolon(tokens, at);
    }
    if word(at, "impl") || word(at, "trait") || word(at, "mod") {
        return ends_at_block(tokens, at);
    }
    if word(at, "use") || word(at, "type") {
        return ends_at_semicolon(tokens, at);
    }
    if (word(at, "static") || word(at, "const")) && (ident_at(at + 1) && !word(at + 1, "move")) {
        return ends_at_semicolon(tokens, at);
    }
    None
}

/// `use`, `type`, `static`, `const` and `extern crate`: just after the first `;`. None of them
/// holds one outside a group before its end, and a `static`'s or a `const`'s value may hold a
/// `<` or a `<<` that opens no generic arguments (`1 << 3`).
fn ends_at_semicolon(tokens: &[TokenTree], from: usize) -> Option<usize> {
    let mut at = from;
    while at < tokens.len() {
        if is_punct(&tokens[at], ';') {
            return Some(at + 1);
        }
        at += 1;
    }
    None
}

fn ends_at_block(tokens: &[TokenTree], from: usize) -> Option<usize> {
    ends_at(tokens, from, |t| is_group(t, Delimiter::Brace))
}

/// A struct or an enum: `struct S;`, `struct S(u8);` or `struct S { .. }`.
fn ends_at_block_or_semicolon(tokens: &[TokenTree], from: usize) -> Option<usize> {
    ends_at(tokens, from, |t| {
        is_punct(t, ';') || is_group(t, Delimiter::Brace)
    })
}

/// Just after the first token from `from` that is `last` outside generic arguments: a
/// const argument or default in braces (`W<{ 1 }>`, `<const N: usize = { 1 }>`) is not
/// the item's block.
fn ends_at(tokens: &[TokenTree], from: usize, last: fn(&TokenTree) -> bool) -> Option<usize> {
    let mut angles = Angles::default();
    for (at, token) in tokens.iter().enumerate().skip(from) {
        if angles.depth == 0 && last(token) {
            return Some(at + 1);
        }
        angles.track(token);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn parts(body: &str) -> [String; 3] {
        let (inner, items, rest) = split(TokenStream::from_str(body).unwrap());
        [inner.to_string(), items.to_string(), rest.to_string()]
    }

    fn runtime_block_of(body: &str) -> Option<String> {
        let (_, block, _) = runtime_block(TokenStream::from_str(body).unwrap())?;
        Some(block.to_string())
    }

    #[test]
    fn only_tokios_body_is_read_as_an_async_runtimes() {
        // tokio's expansions of `async fn main() { work().await; }`.
        let tokio = [
            // tokio-macros 1.5 to 1.7: a last statement, with or without `return` and `;`.
            "let body = async { work().await; }; #[allow(clippy::expect_used)] \
             tokio::runtime::Builder::new_multi_thread().enable_all().build() \
               .expect(\"Failed building the Runtime\").block_on(body);",
            "let body = async { work().await; }; #[allow(clippy::expect_used)] \
             return tokio::runtime::Builder::new_multi_thread().enable_all().build() \
               .expect(\"Failed building the Runtime\").block_on(body)",
            // A block: with the `let body = { .. }` check of recent versions (2.7's), and without.
            "let body = async { work().await; }; \
             let body = { if false { let _: &dyn ::core::future::Future<Output = ()> = &body; } body }; \
             #[allow(clippy::expect_used, clippy::diverging_sub_expression)] \
             { return tokio::runtime::Builder::new_multi_thread().enable_all().build() \
               .expect(\"Failed building the Runtime\").block_on(body); }",
            "let body = async { work().await; }; \
             #[allow(clippy::expect_used)] { return tokio::runtime::Builder::new_current_thread() \
               .enable_all().build().expect(\"Failed building the Runtime\").block_on(body); }",
        ];
        for body in tokio {
            assert_eq!(
                runtime_block_of(body).as_deref(),
                Some("{ work () . await ; }")
            );
        }
        // Found by an outside tester: a `main` of the user's own, with an early return before
        // it blocks on the async block, had its install put in the block, which never ran.
        for body in [
            "let body = async { work(); }; if early() { return; } block_on(body)",
            "let body = async { work(); }; block_on(body)",
            "let body = async { work(); }; { block_on(body) } done();",
            "let body = async { work(); }; let body = 1 { block_on(body) }",
            // Found by a second tester: tokio's layout, but not tokio's runtime.
            "let body = async { work(); }; \
             let body = if early() { return; } else { body }; { block_on(body) }",
            "let body = async { work(); }; #[cfg(any())] { block_on(body) }",
            // Found by a third: the statement form, after an early return.
            "let body = async { work(); }; if early() { return; } \
             tokio::runtime::Builder::new_current_thread().build() \
               .expect(\"Failed building the Runtime\").block_on(body)",
        ] {
            assert_eq!(runtime_block_of(body), None, "{body}");
        }
    }

    #[test]
    fn a_shift_or_a_comparison_in_a_constant_opens_no_generic_arguments() {
        // Found by an outside tester: the install went after `const B`, past the `let`.
        for constant in [
            "const A: u32 = 1 << 3;",
            "const A: bool = 1 < 2;",
            "static A: u32 = 8 >> 1;",
            "static mut A: Option<u32> = Some(1 << 2);",
            "const A: W<{ 1 << 2 }> = W;",
        ] {
            let [_, items, rest] =
                parts(&format!("{constant} let h = || (); const B: u32 = 2 >> 1;"));
            assert_eq!(items.replace(' ', ""), constant.replace(' ', ""));
            assert!(rest.starts_with("let h"), "{constant}: {rest}");
        }
    }

    #[test]
    fn the_install_goes_after_the_leading_items() {
        let [inner, items, rest] = parts(
            "#![allow(unused)] fn a() {} #[derive(Debug)] pub struct S(u8); struct T { x: u8 } \
             use std::fmt; static X: S = S { x: 1 }; impl S { fn f() {} } const fn c() {} \
             let y = 1; fn late() {}",
        );
        assert_eq!(inner.replace(' ', ""), "#![allow(unused)]");
        assert!(items.ends_with("const fn c () { }"), "{items}");
        assert_eq!(rest, "let y = 1 ; fn late () { }");
        // Braces in generic arguments and defaults are not the item's block.
        for item in [
            "impl W<{ 1 }> { fn go() {} }",
            "fn mk() -> W<{ 1 + 1 }> { W }",
            "struct W<const N: usize = { 1 }>;",
            "enum E<const N: usize = { 3 }> { A }",
            "trait T: Tr2<{ 1 }> {}",
            "unsafe impl Send for W<{ 1 }> {}",
            "fn f() -> impl Fn() -> W<{ 1 }> { || W }",
            "static S: W<{ 1 }> = W;",
            "union U { a: u8 }",
            "union U<T: Copy> { a: T }",
            "unsafe extern \"C\" { fn abs(x: i32) -> i32; }",
        ] {
            let [_, items, rest] = parts(&format!("{item} W::<1>::go();"));
            assert_eq!(rest.replace(' ', ""), "W::<1>::go();", "{item}: {items}");
        }
        for expression in [
            "const { 1 };",
            "unsafe { f() };",
            "async { 1 };",
            "static || 1;",
            "macro_rules! m { () => {} }",
            "S { x: 1 };",
            "union;",
            "union = 1;",
            "union as u32 + { 0 };",
            "union::f();",
        ] {
            let [_, items, _] = parts(expression);
            assert_eq!(items, "", "{expression}");
        }
    }
}
