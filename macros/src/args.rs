//! `#[on_exit(HANDLER [, OPTION]*)]`: the attribute's arguments, parsed into [`Args`].
//!
//! The handler is kept as opaque tokens (any expression: a path or a closure) and type-checked
//! by rustc against the runtime's `Cleanup` trait; the options are parsed here.

use crate::error::{push, Error};
use crate::tokens::{Delimiter, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// The parsed attribute.
pub(crate) struct Args {
    /// The handler expression, as the user wrote it.
    pub(crate) handler: TokenStream,
    /// The span of the handler's first token, for errors about its type.
    pub(crate) handler_span: Span,
    /// `signals(...)`: replaces the default set.
    pub(crate) signals: Option<Vec<SignalName>>,
    /// `timeout = "..."`, in milliseconds.
    pub(crate) timeout_ms: Option<u64>,
    /// `graceful`: the first signal asks `main` to finish.
    pub(crate) graceful: Option<()>,
    /// `crate = path`: the path's tokens.
    pub(crate) krate: Option<TokenStream>,
}

/// A name accepted in `signals(...)`, with the `on_exit::Signal` variant it stands for.
const SIGNAL_NAMES: [(&str, &str); 8] = [
    ("interrupt", "Interrupt"),
    ("terminate", "Terminate"),
    ("hangup", "Hangup"),
    ("quit", "Quit"),
    ("ctrl_break", "CtrlBreak"),
    ("close", "Close"),
    ("logoff", "Logoff"),
    ("shutdown", "Shutdown"),
];

/// One entry of `signals(...)`.
pub(crate) struct SignalName {
    /// The `on_exit::Signal` variant, such as `Interrupt`.
    pub(crate) variant: &'static str,
}

const OPTIONS: &str = "`signals(...)`, `timeout = \"...\"`, `graceful` or `crate = path`";

pub(crate) fn parse(attr: TokenStream) -> Result<Args, Error> {
    let segments = split_at_commas(attr);
    let (handler, options) = split_handler(segments)?;
    let Some(first) = handler.first() else {
        return Err(Error::new(
            Span::call_site(),
            "missing cleanup handler: expected `#[on_exit(cleanup)]`",
        ));
    };
    let handler_span = first.span();
    if looks_like_option(&handler) {
        return Err(Error::new(
            handler_span,
            "missing cleanup handler before the options: expected `#[on_exit(cleanup, ...)]`",
        ));
    }
    let option_first = is_option_name(&handler);

    let mut args = Args {
        handler: handler.into_iter().collect(),
        handler_span,
        signals: None,
        timeout_ms: None,
        graceful: None,
        krate: None,
    };
    let mut errors: Option<Error> = None;
    let mut report = |error: Error| push(&mut errors, error);
    let count = options.len();
    for (index, Segment { comma, tokens }) in options.into_iter().enumerate() {
        if tokens.is_empty() {
            if index + 1 == count {
                continue; // a trailing comma
            }
            report(Error::new(
                comma,
                format!("expected {OPTIONS} between the commas"),
            ));
            continue;
        }
        let misplaced = match (&option_first, tokens.as_slice()) {
            // A name that is no option, after an option where the handler should be.
            (Some(option), [TokenTree::Ident(handler)])
                if !["graceful", "signals", "timeout", "crate"]
                    .iter()
                    .any(|name| is(handler, name)) =>
            {
                Some((option, handler))
            }
            _ => None,
        };
        if let Some((option, handler)) = misplaced {
            // `graceful, cleanup`: the handler came after an option.
            report(Error::new(
                handler.span(),
                format!("the cleanup handler comes first: write `#[on_exit({handler}, {option})]`"),
            ));
            continue;
        }
        if let Err(error) = parse_option(tokens, &mut args) {
            report(error);
        }
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(args),
    }
}

/// The tokens between two top-level commas, with the comma before them (the attribute's
/// span for the first).
pub(crate) struct Segment {
    comma: Span,
    tokens: Vec<TokenTree>,
}

/// Splits at every comma outside a group. Commas inside a handler (a closure's `|a, b|`,
/// generics' `<A, B>`) are split too; [`split_handler`] joins them back.
fn split_at_commas(tokens: TokenStream) -> Vec<Segment> {
    let mut segments = vec![Segment {
        comma: Span::call_site(),
        tokens: Vec::new(),
    }];
    for token in tokens {
        match &token {
            TokenTree::Punct(punct) if punct.as_char() == ',' => segments.push(Segment {
                comma: punct.span(),
                tokens: Vec::new(),
            }),
            _ => {
                if let Some(segment) = segments.last_mut() {
                    segment.tokens.push(token);
                }
            }
        }
    }
    segments
}

/// The handler and the options: the handler is the shortest run of leading segments after
/// which every segment has an option's shape (see [`option_shaped`]).
///
/// No valid handler is cut short: a comma inside a handler is inside a closure's parameters
/// or inside `<...>`, so some later segment holds the closing `|` or `>`, which no option
/// has. A comma the handler cannot hold (`cleanup, 5`: no `|` or `<` before it) is an
/// error on what follows it.
pub(crate) fn split_handler(
    mut segments: Vec<Segment>,
) -> Result<(Vec<TokenTree>, Vec<Segment>), Error> {
    let mut handler_len = 1;
    for start in (1..segments.len()).rev() {
        if !option_shaped(&segments[start].tokens) {
            handler_len = start + 1;
            break;
        }
    }
    let options = segments.split_off(handler_len.min(segments.len()));
    let mut handler = Vec::new();
    // A handler's own comma comes after the `|` of a closure or the `<` of generics.
    let mut can_hold_a_comma = false;
    for (index, segment) in segments.into_iter().enumerate() {
        if index > 0 {
            if !can_hold_a_comma {
                let span = segment
                    .tokens
                    .first()
                    .map_or(segment.comma, TokenTree::span);
                return Err(Error::new(span, format!("expected {OPTIONS}")));
            }
            let mut comma = Punct::new(',', Spacing::Alone);
            comma.set_span(segment.comma);
            handler.push(TokenTree::Punct(comma));
        }
        for token in segment.tokens {
            can_hold_a_comma |=
                matches!(&token, TokenTree::Punct(p) if matches!(p.as_char(), '|' | '<'));
            handler.push(token);
        }
    }
    Ok((handler, options))
}

/// Whether a segment can be an option: a name alone, a name with a `(...)` group, or a
/// name, `=` and a value, with no `|`, `<` or `>` outside its groups.
fn option_shaped(tokens: &[TokenTree]) -> bool {
    let Some(TokenTree::Ident(_)) = tokens.first() else {
        return tokens.is_empty();
    };
    tokens[1..].iter().all(
        |token| !matches!(token, TokenTree::Punct(p) if matches!(p.as_char(), '|' | '<' | '>')),
    )
}

/// `graceful` (or another option's name alone) where the handler should be.
fn is_option_name(handler: &[TokenTree]) -> Option<Ident> {
    match handler {
        [TokenTree::Ident(name)] if is(name, "graceful") => Some(name.clone()),
        _ => None,
    }
}

/// Tracks the depth of `<...>` through a run of tokens: generic arguments are not groups to
/// proc-macro2, and the `>` of `->` and `=>` closes nothing.
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
}

/// `name = ...` or `signals(...)` where the handler should be.
pub(crate) fn looks_like_option(segment: &[TokenTree]) -> bool {
    match segment {
        [TokenTree::Ident(ident), TokenTree::Group(group), ..] => {
            is(ident, "signals") && group.delimiter() == Delimiter::Parenthesis
        }
        [TokenTree::Ident(_), TokenTree::Punct(eq), rest @ ..] => {
            eq.as_char() == '='
                && !matches!(rest.first(), Some(TokenTree::Punct(p)) if p.as_char() == '=')
        }
        _ => false,
    }
}

fn parse_option(segment: Vec<TokenTree>, args: &mut Args) -> Result<(), Error> {
    let mut tokens = segment.into_iter();
    let Some(TokenTree::Ident(name)) = tokens.next() else {
        let stream: TokenStream = tokens.collect();
        return Err(Error::spanning(stream, format!("expected {OPTIONS}")));
    };
    let rest: TokenStream = tokens.collect();
    match name.to_string().as_str() {
        "signals" => {
            let signals = parse_signals(&name, rest)?;
            set_once(&mut args.signals, signals, &name)
        }
        "timeout" => {
            let timeout = parse_timeout(&name, rest)?;
            set_once(&mut args.timeout_ms, timeout, &name)
        }
        "graceful" => {
            if let Some(extra) = rest.into_iter().next() {
                return Err(Error::new(
                    extra.span(),
                    "`graceful` takes no value: write `graceful`",
                ));
            }
            set_once(&mut args.graceful, (), &name)
        }
        "crate" => {
            let path =
                parse_value(&name, rest, "`crate = path::to::on_exit`").and_then(crate_path)?;
            set_once(&mut args.krate, path, &name)
        }
        _ => Err(Error::new(
            name.span(),
            format!("unknown option `{name}`; expected {OPTIONS}"),
        )),
    }
}

/// `crate = "name"`, as tokio and serde spell it, or a bare path: the path's tokens.
fn crate_path(value: TokenStream) -> Result<TokenStream, Error> {
    if let Ok((text, span)) = string(&value) {
        let path = text.parse().map_err(|_| not_a_path(span))?;
        return check_path(respan(path, span), span);
    }
    let last = value.clone().into_iter().last();
    let end = last.map_or_else(Span::call_site, |token| token.span());
    check_path(value, end)
}

/// A module path, `::a::b` or `a::b`: returns its tokens. `end` is where a path cut short
/// is reported.
fn check_path(path: TokenStream, end: Span) -> Result<TokenStream, Error> {
    let tokens: Vec<TokenTree> = path.clone().into_iter().collect();
    let mut at = if is_path_separator(&tokens) { 2 } else { 0 };
    loop {
        match tokens.get(at) {
            Some(TokenTree::Ident(_)) => at += 1,
            Some(other) => return Err(not_a_path(other.span())),
            None => return Err(not_a_path(end)),
        }
        if at == tokens.len() {
            return Ok(path);
        }
        if !is_path_separator(&tokens[at..]) {
            return Err(not_a_path(tokens[at].span()));
        }
        at += 2;
    }
}

/// Whether `tokens` start with `::`.
fn is_path_separator(tokens: &[TokenTree]) -> bool {
    matches!(tokens, [TokenTree::Punct(first), TokenTree::Punct(second), ..]
        if first.as_char() == ':' && first.spacing() == Spacing::Joint && second.as_char() == ':')
}

fn not_a_path(span: Span) -> Error {
    Error::new(
        span,
        "expected a path, such as `crate = exit_guard` or `crate = \"exit_guard\"`",
    )
}

/// `tokens`, with every token (inside groups too) at `span`: a path written in a string is
/// reported at the string, and generated code is where the expansion says.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner =
                    crate::tokens::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            }
            token.set_span(span);
            token
        })
        .collect()
}

/// Whether `ident` is `name` (not `r#name`).
#[allow(clippy::cmp_owned)] // proc_macro's `Ident` cannot be compared with a `str`
pub(crate) fn is(ident: &Ident, name: &str) -> bool {
    ident.to_string() == name
}

/// Whether `token` is the identifier `name`.
pub(crate) fn is_ident(token: &TokenTree, name: &str) -> bool {
    matches!(token, TokenTree::Ident(ident) if is(ident, name))
}

/// The value of a plain string literal (`"..."` or `r"..."`, no suffix) that is all of
/// `tokens`, and its span. Otherwise, the span of the first token that is not one.
fn string(tokens: &TokenStream) -> Result<(String, Span), Span> {
    let mut tokens = tokens.clone().into_iter();
    match (tokens.next(), tokens.next()) {
        (Some(TokenTree::Literal(literal)), None) => string_value(&literal)
            .map(|text| (text, literal.span()))
            .ok_or(literal.span()),
        (Some(TokenTree::Literal(literal)), Some(extra)) if string_value(&literal).is_some() => {
            Err(extra.span())
        }
        (Some(other), _) => Err(other.span()),
        (None, _) => Err(Span::call_site()),
    }
}

/// What a string literal stands for, from its source text; `None` for anything else (a
/// byte string, a suffix, an escape this attribute has no use for).
fn string_value(literal: &Literal) -> Option<String> {
    let source = literal.to_string();
    if let Some(raw) = source.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let fence = "#".repeat(hashes);
        return raw
            .strip_prefix(&format!("{fence}\""))?
            .strip_suffix(&format!("\"{fence}"))
            .map(str::to_owned);
    }
    let body = source.strip_prefix('"')?.strip_suffix('"')?;
    let mut text = String::new();
    let mut chars = body.chars();
    while let Some(char) = chars.next() {
        if char != '\\' {
            text.push(char);
            continue;
        }
        text.push(match chars.next()? {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '0' => '\0',
            '\\' => '\\',
            '"' => '"',
            '\'' => '\'',
            _ => return None,
        });
    }
    Some(text)
}

fn set_once<T>(slot: &mut Option<T>, value: T, name: &Ident) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::new(
            name.span(),
            format!("duplicate `{name}` option"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// `= VALUE`: returns the value's tokens.
fn parse_value(name: &Ident, rest: TokenStream, expected: &str) -> Result<TokenStream, Error> {
    let mut tokens = rest.into_iter();
    match tokens.next() {
        Some(TokenTree::Punct(eq)) if eq.as_char() == '=' => {
            let value: TokenStream = tokens.collect();
            if value.is_empty() {
                Err(Error::new(eq.span(), format!("expected {expected}")))
            } else {
                Ok(value)
            }
        }
        Some(other) => Err(Error::new(other.span(), format!("expected {expected}"))),
        None => Err(Error::new(name.span(), format!("expected {expected}"))),
    }
}

fn parse_signals(name: &Ident, rest: TokenStream) -> Result<Vec<SignalName>, Error> {
    let expected = "expected `signals(name, ...)` with names from `interrupt`, `terminate`, \
                    `hangup`, `quit`, `ctrl_break`, `close`, `logoff`, `shutdown`";
    let mut tokens = rest.into_iter();
    let group = match (tokens.next(), tokens.next()) {
        (Some(TokenTree::Group(group)), None) if group.delimiter() == Delimiter::Parenthesis => {
            group
        }
        (Some(other), _) => return Err(Error::new(other.span(), expected)),
        (None, _) => return Err(Error::new(name.span(), expected)),
    };
    let mut signals: Vec<SignalName> = Vec::new();
    let mut errors: Option<Error> = None;
    for ident in names(group.stream())? {
        let error = match SIGNAL_NAMES.iter().find(|(name, _)| is(&ident, name)) {
            Some((_, variant)) if signals.iter().any(|s| s.variant == *variant) => {
                Error::new(ident.span(), format!("duplicate signal `{ident}`"))
            }
            Some((_, variant)) => {
                signals.push(SignalName { variant });
                continue;
            }
            None => Error::new(
                ident.span(),
                format!(
                    "unknown signal `{ident}`; expected one of `interrupt`, `terminate`, \
                     `hangup`, `quit`, `ctrl_break`, `close`, `logoff`, `shutdown`"
                ),
            ),
        };
        push(&mut errors, error);
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(signals),
    }
}

/// `a, b, c`, a trailing comma allowed.
fn names(list: TokenStream) -> Result<Vec<Ident>, Error> {
    let mut names = Vec::new();
    let mut tokens = list.into_iter();
    while let Some(token) = tokens.next() {
        let TokenTree::Ident(name) = token else {
            return Err(Error::new(token.span(), "expected identifier"));
        };
        names.push(name);
        match tokens.next() {
            Some(TokenTree::Punct(comma)) if comma.as_char() == ',' => {}
            Some(other) => return Err(Error::new(other.span(), "expected `,`")),
            None => break,
        }
    }
    Ok(names)
}

fn parse_timeout(name: &Ident, rest: TokenStream) -> Result<u64, Error> {
    let value = parse_value(name, rest, "`timeout = \"500ms\"`")?;
    let (text, span) = string(&value).map_err(|span| {
        Error::new(
            span,
            "expected a string such as `timeout = \"500ms\"`, `\"5s\"` or `\"2m\"`",
        )
    })?;
    parse_duration_ms(&text).ok_or_else(|| {
        Error::new(
            span,
            format!(
                "invalid duration `{text}`: expected a whole number greater than zero followed \
                 by `ms`, `s` or `m`, such as `\"500ms\"`"
            ),
        )
    })
}

/// `"500ms"`, `"5s"`, `"2m"` to milliseconds; `None` for anything else, zero included.
pub(crate) fn parse_duration_ms(text: &str) -> Option<u64> {
    let digits_end = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(digits_end);
    let number: u64 = digits.parse().ok()?;
    let factor = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        _ => return None,
    };
    number.checked_mul(factor).filter(|ms| *ms > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("5s"), Some(5_000));
        assert_eq!(parse_duration_ms("2m"), Some(120_000));
        for bad in [
            "",
            "5",
            "ms",
            "0s",
            "5 s",
            "-5s",
            "5h",
            "1.5s",
            "5sec",
            "99999999999999999999m",
        ] {
            assert_eq!(parse_duration_ms(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn handler_forms_and_options_split() {
        let args = parse(quote!(
            |a: Reason| drop(a),
            signals(interrupt, quit),
            timeout = "2s"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            args.handler.to_string(),
            quote!(|a: Reason| drop(a)).to_string()
        );
        let variants: Vec<_> = args.signals.unwrap().iter().map(|s| s.variant).collect();
        assert_eq!(variants, ["Interrupt", "Quit"]);
        assert_eq!(args.timeout_ms, Some(2_000));

        let args = parse(quote!(cleanup, graceful, timeout = "1s")).unwrap();
        assert_eq!(args.graceful, Some(()));

        let args = parse(quote!(app::cleanup::<A, B>, crate = my::on_exit,)).unwrap();
        assert_eq!(
            args.handler.to_string(),
            quote!(app::cleanup::<A, B>).to_string()
        );
        assert!(args.krate.is_some());

        let args = parse(quote!(cleanup, crate = "exit_guard")).unwrap();
        assert_eq!(args.krate.unwrap().to_string(), "exit_guard");

        let args = parse(quote!(cleanup, crate = r"::my::on_exit", timeout = r#"5s"#)).unwrap();
        assert_eq!(args.krate.unwrap().to_string(), ":: my :: on_exit");
        assert_eq!(args.timeout_ms, Some(5_000));

        let args = parse(quote!(cleanup, timeout = "\x35s")).map(|args| args.timeout_ms);
        assert!(
            args.is_err(),
            "an escape it has no use for is refused, not misread"
        );

        let args = parse(quote!(move |a, b| x)).unwrap();
        assert_eq!(args.handler.to_string(), quote!(move |a, b| x).to_string());

        let args = parse(quote!(|| -> () { a(1, 2) })).unwrap();
        assert_eq!(args.signals.map(|s| s.len()), None);
    }

    #[test]
    fn no_valid_handler_is_cut_short() {
        for (handler, options) in [
            (
                quote!(|| if LEVEL < 2 {
                    stop()
                }),
                quote!(timeout = "1s"),
            ),
            (quote!(|| a < b), quote!(graceful)),
            (quote!(|| a > b), quote!(graceful, crate = x)),
            (quote!(f::<A, B, C>), quote!(graceful)),
            (quote!(<HashMap<A, B> as T>::f), quote!(graceful)),
            (quote!(|a: u8, b: u8| a < b), quote!(signals(interrupt))),
            (quote!(move |a, b| x), quote!(graceful)),
            (quote!(|| -> Result<A, B> { Ok(()) }), quote!(graceful)),
            (quote!(|| -> Box<dyn T<A, Item = u8>> { x }), quote!()),
            // Found by the differential fuzzer: a closure after `||`, with a trailing comma.
            (quote!(a + b || |t| c | d), quote!(graceful)),
        ] {
            let args = parse(quote!(#handler, #options))
                .unwrap_or_else(|error| panic!("{handler} with {options}: {error}"));
            assert_eq!(args.handler.to_string(), handler.to_string());
        }
    }

    #[test]
    fn mistakes_are_errors() {
        for bad in [
            quote!(),
            quote!(timeout = "5s"),
            quote!(signals(interrupt)),
            quote!(cleanup, bogus),
            quote!(cleanup, bogus = 1),
            quote!(cleanup, timeout = "5"),
            quote!(cleanup, timeout = 5),
            quote!(cleanup, timeout),
            quote!(cleanup, timeout = "1s", timeout = "2s"),
            quote!(cleanup, signals(sigint)),
            quote!(cleanup, signals(interrupt, interrupt)),
            quote!(cleanup, signals = interrupt),
            quote!(cleanup,, timeout = "1s"),
            quote!(cleanup, crate),
            quote!(cleanup, crate = "not a path"),
            quote!(cleanup, crate = "a::"),
            quote!(cleanup, crate = a::),
            quote!(cleanup, crate = ""),
            quote!(cleanup, timeout = b"5s"),
            quote!(cleanup, timeout = "5s" "1s"),
            quote!(cleanup, timeout = "5s"u8),
            quote!(cleanup, graceful = true),
            quote!(cleanup, graceful, graceful),
            quote!(cleanup, 5),
            quote!(graceful, cleanup),
        ] {
            assert!(parse(bad.clone()).is_err(), "accepted {bad}");
        }
    }
}
