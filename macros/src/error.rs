//! Compile errors at the user's tokens, every mistake at once, each becoming a
//! `compile_error!` that rustc reports where the user wrote the mistake.

use std::fmt;

use crate::tokens::{
    Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree,
};

/// One or more mistakes, in the order they were found.
pub(crate) struct Error {
    messages: Vec<Message>,
}

struct Message {
    /// Where the underlined code starts and ends: rustc underlines from the first token of
    /// the generated `compile_error!` to its last.
    start: Span,
    end: Span,
    text: String,
}

impl Error {
    /// A mistake at one token.
    pub(crate) fn new(span: Span, text: impl Into<String>) -> Error {
        Error::between(span, span, text)
    }

    /// A mistake that covers `tokens`, from the first to the last (the macro's call site if
    /// there are none).
    pub(crate) fn spanning(tokens: TokenStream, text: impl Into<String>) -> Error {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let start = tokens.first().map_or_else(Span::call_site, TokenTree::span);
        let end = match tokens.last() {
            Some(last) => last.span(),
            None => start,
        };
        Error::between(start, end, text)
    }

    fn between(start: Span, end: Span, text: impl Into<String>) -> Error {
        Error {
            messages: vec![Message {
                start,
                end,
                text: text.into(),
            }],
        }
    }

    /// How many mistakes (for tests and the fuzz target).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn count(&self) -> usize {
        self.messages.len()
    }

    /// Adds `other`'s mistakes after these.
    pub(crate) fn combine(&mut self, other: Error) {
        self.messages.extend(other.messages);
    }

    /// `::std::compile_error! { "..." }` for each mistake: the path at its start, the braces
    /// at its end, so that rustc underlines the whole mistake. At the user's span, so that
    /// the error carries no note that it comes from the macro; through `::std`, which the
    /// user cannot shadow (a `macro_rules! compile_error` of their own would swallow the
    /// error): in edition 2015 that is the `std` injected at the crate's root, from 2018 on
    /// the extern crate (a `main` has std, whatever the edition; `::core` is not at a 2015
    /// crate's root).
    pub(crate) fn to_compile_error(&self) -> TokenStream {
        let mut output = TokenStream::new();
        for Message { start, end, text } in &self.messages {
            let punct = |char: char, spacing: Spacing| {
                let mut punct = Punct::new(char, spacing);
                punct.set_span(*start);
                TokenTree::Punct(punct)
            };
            let mut message = Literal::string(text);
            message.set_span(*end);
            let mut braces = Group::new(Delimiter::Brace, TokenTree::Literal(message).into());
            braces.set_span(*end);
            output.extend(vec![
                punct(':', Spacing::Joint),
                punct(':', Spacing::Alone),
                TokenTree::Ident(Ident::new("std", *start)),
                punct(':', Spacing::Joint),
                punct(':', Spacing::Alone),
                TokenTree::Ident(Ident::new("compile_error", *start)),
                punct('!', Spacing::Alone),
                TokenTree::Group(braces),
            ]);
        }
        output
    }
}

/// The messages (for tests and the fuzz target's reports).
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for message in &self.messages {
            list.entry(&message.text);
        }
        list.finish()
    }
}

/// The first mistake's message (for tests and the fuzz target's reports).
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.messages.first() {
            Some(message) => f.write_str(&message.text),
            None => Ok(()),
        }
    }
}

/// Adds `error` to the ones already found: the user sees every mistake at once.
pub(crate) fn push(errors: &mut Option<Error>, error: Error) {
    match errors {
        Some(errors) => errors.combine(error),
        None => *errors = Some(error),
    }
}
