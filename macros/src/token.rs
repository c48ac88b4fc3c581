//! Reading single tokens: names, punctuation, string literals, and the invisible groups that
//! `macro_rules!` fragments (`$x:expr`, `$p:path`, `$t:ty`, ...) arrive in.

use crate::tokens::{Delimiter, Group, Ident, Literal, Spacing, Span, TokenStream, TokenTree};

/// Whether `ident` is `name` (not `r#name`).
#[allow(clippy::cmp_owned)] // proc_macro's `Ident` cannot be compared with a `str`
pub(crate) fn is(ident: &Ident, name: &str) -> bool {
    ident.to_string() == name
}

/// Whether `token` is the identifier `name`.
pub(crate) fn is_ident(token: &TokenTree, name: &str) -> bool {
    matches!(token, TokenTree::Ident(ident) if is(ident, name))
}

/// Whether `ident` is one of `names` (not `r#name`).
pub(crate) fn is_any(ident: &Ident, names: &[&str]) -> bool {
    names.contains(&ident.to_string().as_str())
}

/// Whether `token` is one of the identifiers `names`.
pub(crate) fn is_any_ident(token: &TokenTree, names: &[&str]) -> bool {
    matches!(token, TokenTree::Ident(ident) if is_any(ident, names))
}

/// Whether `token` is the punctuation `char`.
pub(crate) fn is_punct(token: &TokenTree, char: char) -> bool {
    matches!(token, TokenTree::Punct(punct) if punct.as_char() == char)
}

/// Whether `token` is a group in `delimiter`s.
pub(crate) fn is_group(token: &TokenTree, delimiter: Delimiter) -> bool {
    matches!(token, TokenTree::Group(group) if group.delimiter() == delimiter)
}

/// The tokens of `stream` with every invisible group (a `macro_rules!` fragment) at the top
/// level replaced by its contents, recursively: what the user wrote, as rustc reads it.
pub(crate) fn flatten(stream: TokenStream) -> Vec<TokenTree> {
    let mut tokens = Vec::new();
    for token in stream {
        match token {
            TokenTree::Group(group) if group.delimiter() == Delimiter::None => {
                tokens.extend(flatten(group.stream()));
            }
            token => tokens.push(token),
        }
    }
    tokens
}

/// `tokens` to be emitted again, with each invisible group (a `macro_rules!` fragment) that
/// holds a `+` and follows `&`, a lifetime, `mut` or `const` put in parentheses.
///
/// rustc parses such a group from a macro's output as if it were not there, so a `$t:ty` of
/// `dyn Debug + Sync` after `&'static` would read as an ambiguous `+`; in parentheses it is
/// the type it was (and an expression after `&` the operand it was).
pub(crate) fn protect(tokens: Vec<TokenTree>) -> Vec<TokenTree> {
    let mut protected: Vec<TokenTree> = Vec::with_capacity(tokens.len());
    for token in tokens {
        let after_prefix = match protected.last() {
            Some(TokenTree::Punct(punct)) => punct.as_char() == '&',
            Some(TokenTree::Ident(ident)) => {
                is(ident, "mut")
                    || is(ident, "const")
                    || protected.len() >= 2 && is_punct(&protected[protected.len() - 2], '\'')
            }
            _ => false,
        };
        match token {
            TokenTree::Group(group)
                if after_prefix && group.delimiter() == Delimiter::None && has_plus(&group) =>
            {
                let span = group.span();
                let mut parenthesized =
                    Group::new(Delimiter::Parenthesis, TokenTree::Group(group).into());
                parenthesized.set_span(span);
                protected.push(TokenTree::Group(parenthesized));
            }
            token => protected.push(token),
        }
    }
    protected
}

/// Whether an invisible group holds a `+`, looking through the invisible groups in it.
fn has_plus(group: &Group) -> bool {
    for token in flatten(group.stream()) {
        if is_punct(&token, '+') {
            return true;
        }
    }
    false
}

/// `tokens`, with every token (inside groups too) at `span`: generated code is where the
/// expansion says.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    let mut respanned: Vec<TokenTree> = Vec::new();
    for mut token in tokens {
        if let TokenTree::Group(group) = &token {
            let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
            inner.set_span(span);
            token = TokenTree::Group(inner);
        }
        token.set_span(span);
        respanned.push(token);
    }
    respanned.into_iter().collect()
}

/// What a plain string literal (`"..."` or `r#"..."#`, no suffix) stands for, escapes read
/// as Rust reads them; `None` for any other literal (a byte or C string, a number, a
/// suffix). The literal comes from rustc's lexer, so its escapes are well formed.
pub(crate) fn string_value(literal: &Literal) -> Option<String> {
    let source = literal.to_string();
    if let Some(raw) = source.strip_prefix('r') {
        let mut hashes = 0;
        while raw[hashes..].starts_with('#') {
            hashes += 1;
        }
        let fence = &raw[..hashes];
        let text = raw[hashes..]
            .strip_prefix('"')?
            .strip_suffix(fence)?
            .strip_suffix('"')?;
        return Some(text.to_owned());
    }
    let body = source.strip_prefix('"')?.strip_suffix('"')?;
    let mut text = String::new();
    let mut chars = body.chars().peekable();
    while let Some(char) = chars.next() {
        if char != '\\' {
            text.push(char);
            continue;
        }
        let escaped = match chars.next()? {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            '\\' => '\\',
            '"' => '"',
            '\'' => '\'',
            'x' => {
                let mut digits = String::new();
                for _ in 0..2 {
                    if let Some(digit) = chars.next() {
                        digits.push(digit);
                    }
                }
                match char::from_u32(hex(&digits)?) {
                    Some(char) if char.is_ascii() => char,
                    _ => return None,
                }
            }
            'u' => {
                if chars.next()? != '{' {
                    return None;
                }
                let mut digits = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        '_' => {}
                        digit => digits.push(digit),
                    }
                }
                char::from_u32(hex(&digits)?)?
            }
            // A line continuation: the newline and the whitespace after it are skipped.
            '\n' => {
                while let Some(' ' | '\t' | '\n' | '\r') = chars.peek() {
                    chars.next();
                }
                continue;
            }
            '\r' if matches!(chars.peek(), Some('\n')) => {
                while let Some(' ' | '\t' | '\n' | '\r') = chars.peek() {
                    chars.next();
                }
                continue;
            }
            _ => return None,
        };
        text.push(escaped);
    }
    Some(text)
}

/// The number an escape's hex digits stand for, read as the `timeout` option's digits are (one
/// integer parser in the build).
fn hex(digits: &str) -> Option<u32> {
    u32::try_from(u64::from_str_radix(digits, 16).ok()?).ok()
}

/// Tracks the depth of `<...>` through a run of tokens: generic arguments are not groups,
/// and the `>` of `->` and `=>` closes nothing.
#[derive(Default)]
pub(crate) struct Angles {
    pub(crate) depth: usize,
    previous_joint: Option<char>,
}

impl Angles {
    pub(crate) fn track(&mut self, token: &TokenTree) {
        let mut joint = None;
        if let TokenTree::Punct(punct) = token {
            match punct.as_char() {
                '<' => self.depth += 1,
                '>' if !matches!(self.previous_joint, Some('-' | '=')) => {
                    self.depth = self.depth.saturating_sub(1);
                }
                _ => {}
            }
            if punct.spacing() == Spacing::Joint {
                joint = Some(punct.as_char());
            }
        }
        self.previous_joint = joint;
    }

    /// Whether `token`, next in the run, is a `>` that closes a list the run did not open:
    /// at depth 0, and not the end of `->` or `=>`.
    pub(crate) fn closes_outer(&self, token: &TokenTree) -> bool {
        self.depth == 0
            && matches!(token, TokenTree::Punct(punct) if punct.as_char() == '>')
            && !matches!(self.previous_joint, Some('-' | '='))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn value(source: &str) -> Option<String> {
        match TokenStream::from_str(source).ok()?.into_iter().next()? {
            TokenTree::Literal(literal) => string_value(&literal),
            _ => None,
        }
    }

    #[test]
    fn escapes_mean_what_rust_says() {
        assert_eq!(value(r#""5s""#).as_deref(), Some("5s"));
        assert_eq!(value(r#""\x35s""#).as_deref(), Some("5s"));
        assert_eq!(value(r#""5\u{73}""#).as_deref(), Some("5s"));
        assert_eq!(value(r#""5\u{0_073}""#).as_deref(), Some("5s"));
        assert_eq!(value("\"5\\\n    00ms\"").as_deref(), Some("500ms"));
        assert_eq!(value("\"5\\\r\n  s\"").as_deref(), Some("5s"));
        assert_eq!(value(r#""a\"b\\c\n""#).as_deref(), Some("a\"b\\c\n"));
        assert_eq!(value(r##"r#"a"b"#"##).as_deref(), Some("a\"b"));
        assert_eq!(value(r#""é\u{e9}""#).as_deref(), Some("éé"));
        for refused in [r#"b"5s""#, r#""5s"u8"#, "5", r#"c"5s""#, "'5'"] {
            assert_eq!(value(refused), None, "{refused}");
        }
    }

    #[test]
    fn invisible_groups_are_looked_through() {
        let inner = TokenStream::from_str("a b").unwrap();
        let group = TokenTree::Group(Group::new(Delimiter::None, inner));
        let outer = TokenTree::Group(Group::new(Delimiter::None, group.into()));
        let tokens = flatten(outer.into());
        assert_eq!(tokens.len(), 2);
        assert!(is_ident(&tokens[1], "b"));
    }
}
