//! `#[on_exit(HANDLER [, OPTION]*)]`: the attribute's arguments, parsed into [`Args`].
//!
//! The handler is kept as opaque tokens (any expression: a path or a closure) and type-checked
//! by rustc against the runtime's `Cleanup` trait; `handler.rs` finds where it ends. The
//! options are parsed here, each followed by a comma or the end, looking through the
//! invisible groups of `macro_rules!` fragments.

use std::time::Duration;

use crate::error::{push, Error};
use crate::handler;
use crate::path;
use crate::token::{flatten, is, is_any, is_any_ident, is_punct, string_value};
use crate::tokens::{Delimiter, Ident, Span, TokenStream, TokenTree};

/// The parsed attribute.
pub(crate) struct Args {
    /// The handler expression, as the user wrote it.
    pub(crate) handler: TokenStream,
    /// The span of the handler's first token, for errors about its type.
    pub(crate) handler_span: Span,
    /// `signals(...)`: replaces the default set.
    pub(crate) signals: Option<Vec<SignalName>>,
    /// `timeout = "..."`.
    pub(crate) timeout: Option<Duration>,
    /// `graceful`: the first signal asks `main` to finish.
    pub(crate) graceful: Option<()>,
    /// `crate = path`: the path's tokens.
    pub(crate) krate: Option<TokenStream>,
    /// A handler that reads like the `signals(...)` option, `signals(interrupt)`: the names
    /// in its parentheses. It is a call if the user has such a function (as syn would read
    /// it), and a forgotten handler if not: the expansion stands in for the names the user
    /// has not defined (see `expand::stand_ins`).
    pub(crate) like_signals: Option<Vec<Ident>>,
}

/// What a missing handler is told.
pub(crate) const MISSING_HANDLER: &str =
    "missing cleanup handler before the options: expected `#[on_exit(cleanup, ...)]`";

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

const OPTION_NAMES: [&str; 4] = ["graceful", "signals", "timeout", "crate"];

pub(crate) fn parse(attr: TokenStream) -> Result<Args, Error> {
    let tokens: Vec<TokenTree> = attr.into_iter().collect();
    let handler_end = handler::end(&tokens);
    let handler = &tokens[..handler_end];
    let Some(first) = handler.first() else {
        let span = tokens.first().map_or_else(Span::call_site, TokenTree::span);
        return Err(Error::new(
            span,
            "missing cleanup handler: expected `#[on_exit(cleanup)]`",
        ));
    };
    let handler_span = first.span();
    let flat = flatten(handler.iter().cloned().collect());
    if looks_like_option(&flat) {
        return Err(Error::new(handler_span, MISSING_HANDLER));
    }
    let option_first = match handler {
        [TokenTree::Ident(name)] if is(name, "graceful") => Some(name.clone()),
        _ => None,
    };
    let mut args = Args {
        handler: handler.iter().cloned().collect(),
        handler_span,
        like_signals: like_signals(&flat),
        signals: None,
        timeout: None,
        graceful: None,
        krate: None,
    };
    let mut errors: Option<Error> = None;
    // After the handler's comma: the options, each followed by a comma or the end. Without
    // the comma (`cleanup graceful`), one error there, and the options still read if one
    // follows (anything else is the rest of a handler that does not parse).
    let options_start = match tokens.get(handler_end) {
        Some(comma) if is_punct(comma, ',') => handler_end + 1,
        Some(other) => {
            push(&mut errors, Error::new(other.span(), "expected `,`"));
            let option = flatten(TokenStream::from(other.clone()));
            if matches!(option.first(), Some(first) if is_any_ident(first, &OPTION_NAMES)) {
                handler_end
            } else {
                tokens.len()
            }
        }
        None => handler_end,
    };
    let options: TokenStream = tokens[options_start..].iter().cloned().collect();
    let mut options = Options {
        tokens: flatten(options),
        at: 0,
    };
    while let Some(token) = options.next() {
        let result = match &token {
            TokenTree::Punct(comma) if comma.as_char() == ',' => Err(Error::new(
                comma.span(),
                format!("expected {OPTIONS} between the commas"),
            )),
            TokenTree::Ident(name) => match &option_first {
                // `graceful, cleanup`: the handler came after an option.
                Some(option) if !is_any(name, &OPTION_NAMES) => Err(Error::new(
                    name.span(),
                    format!(
                        "the cleanup handler comes first: write `#[on_exit({name}, {option})]`"
                    ),
                )),
                _ => parse_option(name, &mut options, &mut args),
            },
            other => Err(Error::new(other.span(), format!("expected {OPTIONS}"))),
        };
        let result = result.and_then(|()| match options.peek() {
            None => Ok(()),
            Some(comma) if is_punct(comma, ',') => {
                options.next();
                Ok(())
            }
            Some(other) => Err(Error::new(other.span(), "expected `,`")),
        });
        if let Err(error) = result {
            push(&mut errors, error);
            options.skip_past_comma();
        }
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(args),
    }
}

/// The options' tokens, invisible groups looked through.
struct Options {
    tokens: Vec<TokenTree>,
    at: usize,
}

impl Options {
    fn peek(&self) -> Option<&TokenTree> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<TokenTree> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    /// The tokens up to the next comma (not included).
    fn until_comma(&mut self) -> &[TokenTree] {
        let start = self.at.min(self.tokens.len());
        while matches!(self.peek(), Some(token) if !is_punct(token, ',')) {
            self.at += 1;
        }
        &self.tokens[start..self.at.min(self.tokens.len())]
    }

    /// After a mistake: on to the next option.
    fn skip_past_comma(&mut self) {
        self.until_comma();
        self.next();
    }

    /// `=` after an option's name: its span.
    fn equals(&mut self, name: &Ident, expected: &str) -> Result<Span, Error> {
        match self.peek() {
            Some(TokenTree::Punct(eq)) if eq.as_char() == '=' => {
                let span = eq.span();
                self.next();
                Ok(span)
            }
            Some(other) => Err(Error::new(other.span(), format!("expected {expected}"))),
            None => Err(Error::new(name.span(), format!("expected {expected}"))),
        }
    }
}

/// `name = ...` where the handler should be: an assignment, which is never a handler (its
/// value is `()`), so a misplaced option.
pub(crate) fn looks_like_option(segment: &[TokenTree]) -> bool {
    match segment {
        [TokenTree::Ident(_), TokenTree::Punct(eq), rest @ ..] => {
            eq.as_char() == '='
                && !matches!(rest.first(), Some(TokenTree::Punct(p)) if p.as_char() == '=')
        }
        _ => false,
    }
}

/// `signals(NAME, ...)` with signal names (or none) where the handler should be: the names.
pub(crate) fn like_signals(segment: &[TokenTree]) -> Option<Vec<Ident>> {
    let [TokenTree::Ident(ident), TokenTree::Group(group)] = segment else {
        return None;
    };
    if !is(ident, "signals") || group.delimiter() != Delimiter::Parenthesis {
        return None;
    }
    let mut names = Vec::new();
    for (at, token) in flatten(group.stream()).iter().enumerate() {
        match token {
            TokenTree::Ident(name) if at % 2 == 0 && variant(name).is_some() => {
                names.push(name.clone());
            }
            TokenTree::Punct(comma) if at % 2 == 1 && comma.as_char() == ',' => {}
            _ => return None,
        }
    }
    Some(names)
}

fn parse_option(name: &Ident, tokens: &mut Options, args: &mut Args) -> Result<(), Error> {
    match name.to_string().as_str() {
        "signals" => {
            let signals = parse_signals(name, tokens)?;
            not_given_before(args.signals.is_some(), name)?;
            args.signals = Some(signals);
        }
        "timeout" => {
            let timeout = parse_timeout(name, tokens)?;
            not_given_before(args.timeout.is_some(), name)?;
            args.timeout = Some(timeout);
        }
        "graceful" => {
            if let Some(extra) = tokens.peek() {
                if is_punct(extra, '=') || matches!(extra, TokenTree::Group(_)) {
                    return Err(Error::new(
                        extra.span(),
                        "`graceful` takes no value: write `graceful`",
                    ));
                }
            }
            not_given_before(args.graceful.is_some(), name)?;
            args.graceful = Some(());
        }
        "crate" => {
            let expected = "`crate = path::to::on_exit`";
            let equals = tokens.equals(name, expected)?;
            let value = tokens.until_comma();
            if value.is_empty() {
                return Err(Error::new(equals, format!("expected {expected}")));
            }
            let path = path::crate_path(value)?;
            not_given_before(args.krate.is_some(), name)?;
            args.krate = Some(path);
        }
        _ => {
            return Err(Error::new(
                name.span(),
                format!("unknown option `{name}`; expected {OPTIONS}"),
            ))
        }
    }
    Ok(())
}

/// An error at the option `name` if it was `given` before.
fn not_given_before(given: bool, name: &Ident) -> Result<(), Error> {
    if given {
        return Err(Error::new(
            name.span(),
            format!("duplicate `{name}` option"),
        ));
    }
    Ok(())
}

/// The `on_exit::Signal` variant a name in `signals(...)` stands for.
fn variant(name: &Ident) -> Option<&'static str> {
    let name = name.to_string();
    for (known, variant) in &SIGNAL_NAMES {
        if name == *known {
            return Some(*variant);
        }
    }
    None
}

fn parse_signals(name: &Ident, tokens: &mut Options) -> Result<Vec<SignalName>, Error> {
    let expected = "expected `signals(name, ...)` with names from `interrupt`, `terminate`, \
                    `hangup`, `quit`, `ctrl_break`, `close`, `logoff`, `shutdown`";
    let group = match tokens.peek() {
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis => {
            let group = group.clone();
            tokens.next();
            group
        }
        Some(other) if !is_punct(other, ',') => return Err(Error::new(other.span(), expected)),
        _ => return Err(Error::new(name.span(), expected)),
    };
    let mut signals: Vec<SignalName> = Vec::new();
    let mut errors: Option<Error> = None;
    for ident in names(group.stream())? {
        let error = match variant(&ident) {
            Some(variant) if signals.iter().any(|s| s.variant == variant) => {
                Error::new(ident.span(), format!("duplicate signal `{ident}`"))
            }
            Some(variant) => {
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
    let mut tokens = flatten(list).into_iter();
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

fn parse_timeout(name: &Ident, tokens: &mut Options) -> Result<Duration, Error> {
    let equals = tokens.equals(name, "`timeout = \"500ms\"`")?;
    let expected = "expected a string such as `timeout = \"500ms\"`, `\"5s\"` or `\"2m\"`";
    let (text, span) = match tokens.peek() {
        Some(TokenTree::Literal(literal)) => {
            let literal = literal.clone();
            tokens.next();
            let Some(text) = string_value(&literal) else {
                return Err(Error::new(literal.span(), expected));
            };
            (text, literal.span())
        }
        Some(other) if !is_punct(other, ',') => return Err(Error::new(other.span(), expected)),
        _ => return Err(Error::new(equals, expected)),
    };
    match parse_duration(&text) {
        Some(duration) => Ok(duration),
        None => Err(Error::new(
            span,
            format!(
                "invalid duration `{text}`: expected a whole number greater than zero followed \
                 by `ms`, `s` or `m`, such as `\"500ms\"`"
            ),
        )),
    }
}

/// `"500ms"`, `"5s"`, `"2m"` as a duration; `None` for anything else, zero included, or a
/// duration `Duration` cannot hold.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let mut digits_end = 0;
    while matches!(text.as_bytes().get(digits_end), Some(b'0'..=b'9')) {
        digits_end += 1;
    }
    if digits_end == text.len() {
        return None;
    }
    let (digits, unit) = text.split_at(digits_end);
    let number: u64 = digits.parse().ok()?;
    let duration = match unit {
        "ms" => Duration::from_millis(number),
        "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number.checked_mul(60)?),
        _ => return None,
    };
    if duration.is_zero() {
        return None;
    }
    Some(duration)
}

#[cfg(test)]
mod tests;
