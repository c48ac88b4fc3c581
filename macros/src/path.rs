//! `crate = path`: the path to on-exit under another name, written bare (`crate = my::on_exit`)
//! or in a string as tokio and serde spell it (`crate = "my::on_exit"`). A string's text is
//! read here, by hand, and never handed to the lexer: a quote or a comment in it would be a
//! lex error over the whole attribute.

use crate::error::Error;
use crate::token::{is_punct, string_value};
use crate::tokens::{Ident, Punct, Spacing, Span, TokenStream, TokenTree};

/// The path's tokens, from the value's tokens (invisible groups already looked through).
pub(crate) fn crate_path(value: &[TokenTree]) -> Result<TokenStream, Error> {
    if let [TokenTree::Literal(literal), rest @ ..] = value {
        if let Some(text) = string_value(literal) {
            let span = literal.span();
            let path = from_text(&text, span).ok_or_else(|| not_a_path(span))?;
            return match rest.first() {
                // `crate = "on_exit" graceful`: the path is whole, the comma is missing.
                Some(next) => Err(Error::new(next.span(), "expected `,`")),
                None => Ok(path),
            };
        }
    }
    let end = value.last().map_or_else(Span::call_site, TokenTree::span);
    check_path(value, end)?;
    Ok(value.iter().cloned().collect())
}

/// A module path, `::a::b` or `a::b`. `end` is where a path cut short is reported.
fn check_path(tokens: &[TokenTree], end: Span) -> Result<(), Error> {
    let mut at = if is_path_separator(tokens) { 2 } else { 0 };
    loop {
        match tokens.get(at) {
            Some(TokenTree::Ident(ident)) if !is_keyword(&ident.to_string()) => at += 1,
            Some(other) => return Err(not_a_path(other.span())),
            None => return Err(not_a_path(end)),
        }
        if at == tokens.len() {
            return Ok(());
        }
        if !is_path_separator(&tokens[at..]) {
            // `crate = on_exit graceful`: the path is whole, the comma is missing.
            return Err(Error::new(tokens[at].span(), "expected `,`"));
        }
        at += 2;
    }
}

/// Whether `tokens` start with `::`.
fn is_path_separator(tokens: &[TokenTree]) -> bool {
    matches!(tokens, [TokenTree::Punct(first), second, ..]
        if first.as_char() == ':' && first.spacing() == Spacing::Joint && is_punct(second, ':'))
}

/// `a::b`, `::a::b` or `r#a::b` as tokens at `span`; `None` if the text is not such a path
/// of ASCII identifiers.
fn from_text(text: &str, span: Span) -> Option<TokenStream> {
    let text = without_comments(text)?;
    let text = text.trim();
    let (global, rest) = match text.strip_prefix("::") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut path = Vec::new();
    if global {
        push_separator(&mut path, span);
    }
    let mut rest = rest;
    loop {
        // The segment runs to the next `::`; a lone `:` is in no identifier.
        let mut colon = 0;
        while colon < rest.len() && rest.as_bytes()[colon] != b':' {
            colon += 1;
        }
        let (segment, next) = if colon < rest.len() {
            (&rest[..colon], Some(rest[colon..].strip_prefix("::")?))
        } else {
            (rest, None)
        };
        path.push(TokenTree::Ident(ident(segment.trim(), span)?));
        match next {
            Some(next) => {
                push_separator(&mut path, span);
                rest = next;
            }
            None => return Some(path.into_iter().collect()),
        }
    }
}

/// `text` with its comments (`// ...` to the end of a line, `/* ... */`, nested) as spaces,
/// as Rust's lexer reads them; `None` for a block comment left open.
fn without_comments(text: &str) -> Option<String> {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(char) = chars.next() {
        match (char, chars.peek()) {
            ('/', Some('/')) => {
                while matches!(chars.peek(), Some(c) if *c != '\n') {
                    chars.next();
                }
                plain.push(' ');
            }
            ('/', Some('*')) => {
                chars.next();
                let mut depth = 1;
                while depth > 0 {
                    match (chars.next()?, chars.peek()) {
                        ('/', Some('*')) => {
                            chars.next();
                            depth += 1;
                        }
                        ('*', Some('/')) => {
                            chars.next();
                            depth -= 1;
                        }
                        _ => {}
                    }
                }
                plain.push(' ');
            }
            _ => plain.push(char),
        }
    }
    Some(plain)
}

/// An identifier, raw (`r#name`) or not; `None` for anything else.
fn ident(text: &str, span: Span) -> Option<Ident> {
    let (raw, name) = match text.strip_prefix("r#") {
        Some(name) => (true, name),
        None => (false, text),
    };
    let mut chars = name.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_') || name == "_" {
        return None;
    }
    for char in chars {
        if !(char.is_ascii_alphanumeric() || char == '_') {
            return None;
        }
    }
    if !raw && is_keyword(name) {
        return None;
    }
    if raw {
        // `crate`, `self`, `super` and `Self` cannot be raw identifiers.
        if ["crate", "self", "super", "Self"].contains(&name) {
            return None;
        }
        return Some(Ident::new_raw(name, span));
    }
    Some(Ident::new(name, span))
}

/// Rust's keywords, strict and reserved, but those a path may hold (`crate`, `self`,
/// `super`, `Self`).
fn is_keyword(name: &str) -> bool {
    const KEYWORDS: [&str; 47] = [
        "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
        "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
        "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async",
        "await", "dyn", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
        "typeof", "unsized", "virtual", "yield", "try",
    ];
    KEYWORDS.contains(&name)
}

fn push_separator(path: &mut Vec<TokenTree>, span: Span) {
    let mut first = Punct::new(':', Spacing::Joint);
    first.set_span(span);
    path.push(TokenTree::Punct(first));
    let mut second = Punct::new(':', Spacing::Alone);
    second.set_span(span);
    path.push(TokenTree::Punct(second));
}

fn not_a_path(span: Span) -> Error {
    Error::new(
        span,
        "expected a path, such as `crate = exit_guard` or `crate = \"exit_guard\"`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn path(source: &str) -> Result<String, String> {
        let tokens: Vec<TokenTree> = TokenStream::from_str(source).unwrap().into_iter().collect();
        crate_path(&tokens)
            .map(|path| path.to_string())
            .map_err(|error| error.to_string())
    }

    #[test]
    fn paths_in_strings_are_read_without_the_lexer() {
        assert_eq!(path(r#""exit_guard""#).unwrap(), "exit_guard");
        assert_eq!(path(r#""::my::on_exit""#).unwrap(), ":: my :: on_exit");
        assert_eq!(path(r#""\x6fn_exit""#).unwrap(), "on_exit");
        assert_eq!(path(r#""r#type::x""#).unwrap(), "r#type :: x");
        assert_eq!(path("my::on_exit").unwrap(), "my :: on_exit");
        // Comments are whitespace, as Rust's lexer reads them (found by an outside tester).
        assert_eq!(path(r#""m::oe/**/""#).unwrap(), "m :: oe");
        assert_eq!(path(r#""m::oe // c""#).unwrap(), "m :: oe");
        assert_eq!(path(r#""m/* a /* b */ */::oe""#).unwrap(), "m :: oe");
        assert_eq!(
            path(r#""/*/""#),
            Err("expected a path, such as `crate = exit_guard` or `crate = \"exit_guard\"`".into())
        );
        assert_eq!(path("on_exit graceful"), Err("expected `,`".into()));
        for bad in [
            r#""\"x""#,
            r#""/*""#,
            r#""'""#,
            r#""(""#,
            r#""a::""#,
            r#""""#,
            r#""a b""#,
            r#""r#crate""#,
            r#""_""#,
            r#""é""#,
            "a::",
            "5",
            "a::5",
            r#"b"x""#,
        ] {
            assert!(path(bad).is_err(), "{bad}");
        }
    }
}
