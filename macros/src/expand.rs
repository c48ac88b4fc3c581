//! Code generation, from the typed inputs only.

use crate::args::{self, Args};
use crate::error::Error;
use crate::item::{self, MainFn, Mistake, Runtime};
use crate::token::{is, is_ident, is_punct, respan, Angles};
use crate::tokens::{Delimiter, Group, Ident, Literal, Span, TokenStream, TokenTree};

/// The whole attribute: parse, then expand the function or the errors. Also what the fuzz
/// target (`fuzz/`) calls.
pub(crate) fn on_exit(attr: TokenStream, item: TokenStream) -> TokenStream {
    let args = args::parse(attr);
    let main = item::parse(item.clone());
    match (args, main) {
        (Ok(args), Ok(main)) => main_fn(&args, main),
        (Err(error), Ok(_)) => errors(&error, item, None),
        (Ok(_), Err(mistake)) => errors(mistake.error(), item, Some(&mistake)),
        (Err(error), Err(mistake)) => {
            // The attribute's mistakes first, then the function's.
            let mut output = error.to_compile_error();
            output.extend(errors(mistake.error(), item, Some(&mistake)));
            output
        }
    }
}

/// `fn main` with the runtime installed by its first statement:
///
/// ```text
/// fn main() -> R {
///     #![inner attributes]
///     ::on_exit::__private::run(|| -> R {
///         ::on_exit::__private::hold(::on_exit::Config::new(HANDLER).OPTIONS.install());
///         BODY
///     })
/// }
/// ```
///
/// The body is a closure typed with `main`'s return type, in the user's own braces, and the
/// install is its first statement: the body is checked against `main`'s declared type as
/// without the attribute (coercions at a `return`, in arms, through an alias), keeps the
/// user's edition's rules for the temporaries of its last expression, and the handler sees
/// what `main`'s first statement sees, the items declared in the body included. `impl Trait`
/// cannot be written on a closure (nor can a type macro that may expand to one): there the
/// body's own type is `main`'s. Every temporary of the body is dropped before the cleanup,
/// in every edition, and a `return` or `?` in it still reaches `run`'s end, which reports an
/// `Err` before a signal's death. An `async fn main` is under a runtime's attribute that
/// makes its body an async block: there the body is `run_async(async { .. }).await`,
/// inferred as that runtime's own block is.
///
/// The closure is handed to `run`, not called in `main`: a body that never returns (`loop
/// {}`, `-> !`) leaves no unreachable code after it, so no lint attribute is needed, and
/// none is put over the user's code (the user's own lint levels apply to it as written).
///
/// The expansion names nothing: a local's name could be a unit struct of the user's, an
/// item's could shadow one.
pub(crate) fn main_fn(args: &Args, main: MainFn) -> TokenStream {
    let hidden = Span::mixed_site();
    let krate = match &args.krate {
        Some(krate) => krate.clone(),
        None => code("::on_exit", hidden),
    };
    let install = install(args, &krate);
    let MainFn {
        signature,
        inner_attrs,
        leading_items,
        statements,
        body_span,
        is_async,
        output,
        runtime,
    } = main;
    let private = join(vec![krate, code("::__private::", hidden)]);
    let hold = join(vec![
        private.clone(),
        code("hold", hidden),
        group(Delimiter::Parenthesis, install, hidden),
        code(";", hidden),
    ]);
    let mut body = group(
        Delimiter::Brace,
        join(vec![leading_items, hold, statements]),
        body_span,
    );
    if let Some(Runtime {
        before,
        after,
        span,
    }) = runtime
    {
        // Under `#[tokio::main]`: the user's block is inside the runtime's body.
        body = group(Delimiter::Brace, join(vec![before, body, after]), span);
    }
    // An async `main` is under a runtime's attribute (written below this one), which makes
    // its body an async block: the body is one too, untyped like that runtime's.
    let call = if is_async {
        join(vec![
            private,
            code("run_async", hidden),
            group(
                Delimiter::Parenthesis,
                join(vec![code("async", hidden), body]),
                hidden,
            ),
            code(".await", hidden),
        ])
    } else {
        // `impl Trait` cannot be written on a closure: there it is `_`, inferred from the
        // body, and the rest of the type still guides the body (an `Err(Box::new(e))` into a
        // `Box<dyn Error>`). A type macro's expansion cannot be seen: there the closure's
        // type is the body's own.
        let returns = match output {
            Some(output) if !has_type_macro(&output) => join(vec![
                code("->", hidden),
                without_parens(impl_as_placeholder(output)),
            ]),
            _ => TokenStream::new(),
        };
        let closure = join(vec![code("||", hidden), returns, body]);
        join(vec![
            private,
            code("run", hidden),
            group(Delimiter::Parenthesis, closure, hidden),
        ])
    };
    let main_body = join(vec![inner_attrs, call]);
    let mut output = match &args.like_signals {
        Some(names) => stand_ins(names),
        None => TokenStream::new(),
    };
    output.extend(signature);
    output.extend(group(Delimiter::Brace, main_body, body_span));
    output
}

/// For a handler that reads like the `signals(...)` option (`#[on_exit(signals(interrupt))]`):
/// a function `signals` and functions for the `names`, brought in by a glob import beside
/// `main`. Explicit items beat a glob's, so where the user has defined `signals` (and the
/// names), the handler calls theirs, as without the attribute. Where not, the handler was
/// forgotten, and these turn it into one error on the user's tokens, the macro's message
/// (`signals()` with no name: the handler's type error, naming `MissingCleanupHandler`).
///
/// ```text
/// mod __on_exit_stand_ins {
///     mod missing_handler {
///         #[diagnostic::on_unimplemented(message = "missing cleanup handler ...")]
///         pub trait OptionsNeedAHandler {}
///     }
///     pub fn signals<T: missing_handler::OptionsNeedAHandler>(_: T, _: fn(), ...) -> fn() {
///         || {}
///     }
///     pub fn interrupt() {}
/// }
/// use self::__on_exit_stand_ins::*;
/// ```
///
/// The glob brings in only functions: the names are not constants, which would turn a
/// binding of that name elsewhere in the module (`let quit = ...`) into a pattern, and the
/// helper types stay in a private module. At the call site, as the user's own items would
/// be (rustc keeps its lints off code a macro wrote there). A glob of the user's that also
/// brings in `signals` or one of the names makes the name ambiguous (two globs): known.
fn stand_ins(names: &[Ident]) -> TokenStream {
    let site = Span::call_site();
    let diagnostic = format!(
        "#[diagnostic::on_unimplemented(message = \"{}\", \
         label = \"`signals(...)` is an option, and the handler comes first\")]",
        crate::args::MISSING_HANDLER
    );
    let helpers = join(vec![
        code(&diagnostic, site),
        code(
            "pub trait OptionsNeedAHandler {} pub struct MissingCleanupHandler;",
            site,
        ),
    ]);
    let mut items = join(vec![
        code("mod missing_handler", site),
        group(Delimiter::Brace, helpers, site),
    ]);
    if names.is_empty() {
        items.extend(code(
            "pub fn signals() -> missing_handler::MissingCleanupHandler \
             { missing_handler::MissingCleanupHandler }",
            site,
        ));
    } else {
        // One bound, on the first: the others are plain function pointers.
        let mut parameters = String::from("_: T");
        for _ in 1..names.len() {
            parameters.push_str(", _: fn()");
        }
        items.extend(code(
            &format!(
                "pub fn signals<T: missing_handler::OptionsNeedAHandler>({parameters}) -> fn() \
                 {{ || {{}} }}"
            ),
            site,
        ));
    }
    // The names are signal names (`args::like_signals` checked them): they lex.
    let mut defined: Vec<String> = Vec::new();
    for name in names {
        let name = name.to_string();
        if !defined.contains(&name) {
            items.extend(code(&format!("pub fn {name}() {{}}"), site));
            defined.push(name);
        }
    }
    join(vec![
        code("mod __on_exit_stand_ins", site),
        group(Delimiter::Brace, items, site),
        code("use self::__on_exit_stand_ins::*;", site),
    ])
}

/// `KRATE::Config::new(HANDLER).OPTIONS.install()`.
fn install(args: &Args, krate: &TokenStream) -> TokenStream {
    // The macro's own paths resolve at its mixed site, in its edition: `::core` is the
    // crate `core` in an edition-2015 crate too.
    let site = Span::mixed_site();
    // Spanned at the handler, so that a handler of the wrong type is reported on it.
    let mut install = join(vec![
        krate.clone(),
        code("::Config::new", args.handler_span),
        group(
            Delimiter::Parenthesis,
            args.handler.clone(),
            args.handler_span,
        ),
    ]);
    if let Some(signals) = &args.signals {
        let mut list = TokenStream::new();
        for signal in signals {
            list.extend(krate.clone());
            list.extend(code(&format!("::Signal::{},", signal.variant), site));
        }
        let slice = join(vec![code("&", site), group(Delimiter::Bracket, list, site)]);
        install.extend(code(".signals", site));
        install.extend(group(Delimiter::Parenthesis, slice, site));
    }
    if let Some(timeout) = args.timeout {
        let mut secs = Literal::u64_suffixed(timeout.as_secs());
        secs.set_span(site);
        let mut nanos = Literal::u32_suffixed(timeout.subsec_nanos());
        nanos.set_span(site);
        let arguments = join(vec![
            TokenTree::Literal(secs).into(),
            code(",", site),
            TokenTree::Literal(nanos).into(),
        ]);
        let duration = join(vec![
            code("::core::time::Duration::new", site),
            group(Delimiter::Parenthesis, arguments, site),
        ]);
        install.extend(code(".timeout", site));
        install.extend(group(Delimiter::Parenthesis, duration, site));
    }
    if args.graceful.is_some() {
        install.extend(code(".graceful()", site));
    }
    install.extend(code(".install()", site));
    install
}

/// The errors, next to the user's function so that they are the only errors.
pub(crate) fn errors(errors: &Error, item: TokenStream, mistake: Option<&Mistake>) -> TokenStream {
    let mut output = errors.to_compile_error();
    match mistake {
        Some(Mistake::BadMain { name, .. }) => {
            // rustc would add "`main` function has wrong type": rename the user's function
            // (its body is still checked) and stand in an empty `main`.
            let bare = name.to_string();
            let renamed = format!("__on_exit_invalid_{}", bare.trim_start_matches("r#"));
            let site = Span::call_site();
            output.extend(code("#[allow(dead_code)]", site));
            output.extend(rename(item::without_on_exit(item), name, &renamed));
            output.extend(code("fn main() {}", site));
        }
        Some(Mistake::NotMain(_)) | None => output.extend(item),
    }
    output
}

/// Rust source as tokens, every one of them at `span`.
/// Only ever given the macro's own snippets, never user text: one that does not lex is a bug.
fn code(source: &str, span: Span) -> TokenStream {
    let tokens = source
        .parse()
        .unwrap_or_else(|_| panic!("the macro's own snippet `{source}` does not lex"));
    respan(tokens, span)
}

/// `tokens` in `delimiter`s at `span`.
fn group(delimiter: Delimiter, tokens: TokenStream, span: Span) -> TokenStream {
    let mut group = Group::new(delimiter, tokens);
    group.set_span(span);
    TokenTree::Group(group).into()
}

fn join(parts: Vec<TokenStream>) -> TokenStream {
    parts.into_iter().collect()
}

/// Whether a type has a type macro (`rt!()`) where a type goes, inside groups too: not in an
/// array's length (`[u8; n!()]`) nor in a const argument in braces (`W<{ n!() }>`), which are
/// expressions, never `impl Trait`.
fn has_type_macro(output: &TokenStream) -> bool {
    let tokens: Vec<TokenTree> = output.clone().into_iter().collect();
    for (at, token) in tokens.iter().enumerate() {
        let found = match token {
            // `[T; N]`: the type is before the `;` (the rest of the group is the length).
            TokenTree::Punct(semicolon) if semicolon.as_char() == ';' => return false,
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => false,
            TokenTree::Group(group) => has_type_macro(&group.stream()),
            TokenTree::Punct(bang) if bang.as_char() == '!' => {
                matches!(tokens.get(at + 1), Some(TokenTree::Group(_)))
            }
            _ => false,
        };
        if found {
            return true;
        }
    }
    false
}

/// `output` with each `impl Trait` in it (inside groups too) written `_`: an `impl` type runs
/// to the next `,`, the `;` before an array's length, or the `>` that closes the list it is
/// in (an `->` in `impl Fn() -> T` is no `>`), or to the end. Not in an array's length nor in
/// a braced const argument, which are expressions (`{ struct S; impl S {..} S::N }`).
fn impl_as_placeholder(output: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = output.into_iter().collect();
    let mut result: Vec<TokenTree> = Vec::with_capacity(tokens.len());
    let mut at = 0;
    while at < tokens.len() {
        match &tokens[at] {
            TokenTree::Punct(semicolon) if semicolon.as_char() == ';' => {
                // `[T; N]`: the length, as it is.
                result.extend(tokens[at..].iter().cloned());
                break;
            }
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                result.push(TokenTree::Group(group.clone()));
            }
            TokenTree::Ident(ident) if is(ident, "impl") => {
                result.extend(code("_", ident.span()));
                at = impl_end(&tokens, at + 1);
                continue;
            }
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), impl_as_placeholder(group.stream()));
                inner.set_span(group.span());
                result.push(TokenTree::Group(inner));
            }
            token => result.push(token.clone()),
        }
        at += 1;
    }
    result.into_iter().collect()
}

/// `output` without the parentheses around the whole of it (`-> (impl Termination)`), which
/// rustc's `unused_parens` would report on the closure too, a second time, with the user's
/// span. Not those of a tuple: `()`, `(A, B)`, `(A,)`.
fn without_parens(output: TokenStream) -> TokenStream {
    let mut output = output;
    loop {
        let tokens: Vec<TokenTree> = output.clone().into_iter().collect();
        let [TokenTree::Group(group)] = &tokens[..] else {
            return output;
        };
        // A `macro_rules!` fragment (`-> $t`): its invisible group is looked through.
        if group.delimiter() == Delimiter::None {
            output = group.stream();
            continue;
        }
        let inner: Vec<TokenTree> = group.stream().into_iter().collect();
        let mut angles = Angles::default();
        let mut tuple = inner.is_empty();
        for token in &inner {
            tuple |= angles.depth == 0 && is_punct(token, ',');
            angles.track(token);
        }
        if group.delimiter() != Delimiter::Parenthesis || tuple {
            return output;
        }
        output = group.stream();
    }
}

/// Where the `impl` type whose bounds start at `at` ends: the next `,` or `;` or unmatched
/// `>` at its own depth, or the end.
fn impl_end(tokens: &[TokenTree], at: usize) -> usize {
    let mut angles = Angles::default();
    for (end, token) in tokens.iter().enumerate().skip(at) {
        if (angles.depth == 0 && (is_punct(token, ',') || is_punct(token, ';')))
            || angles.closes_outer(token)
        {
            return end;
        }
        angles.track(token);
    }
    tokens.len()
}

/// Renames the first `fn NAME` in `item`.
fn rename(item: TokenStream, name: &Ident, renamed: &str) -> TokenStream {
    let mut tokens: Vec<TokenTree> = Vec::new();
    let mut after_fn = false;
    let mut done = false;
    for token in item {
        let token = match &token {
            TokenTree::Ident(ident) if after_fn && !done && is(ident, &name.to_string()) => {
                done = true;
                TokenTree::Ident(Ident::new(renamed, ident.span()))
            }
            _ => token,
        };
        after_fn = is_ident(&token, "fn");
        tokens.push(token);
    }
    tokens.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::on_exit;
    use quote::quote;

    #[test]
    fn a_raw_main_with_a_mistake_is_renamed_without_a_panic() {
        // Found by the fuzzer: `__on_exit_invalid_r#main` is not an identifier.
        let output = on_exit(
            quote!(cleanup),
            quote!(
                fn r#main<T>() {}
            ),
        )
        .to_string();
        assert!(output.contains("compile_error"), "{output}");
        assert!(output.contains("__on_exit_invalid_main"), "{output}");
    }

    #[test]
    fn the_closure_returns_main_s_type_without_parentheses_around_the_whole() {
        // Found by an outside tester: `unused_parens` warned twice, the second time on the
        // closure, with a suggestion that deleted the trait.
        for (output, closure) in [
            (quote!((impl std::process::Termination)), "|| -> _"),
            (quote!((u8)), "|| -> u8"),
            (
                quote!((std::collections::HashMap<u8, u16>)),
                "|| -> std :: collections :: HashMap < u8 , u16 >",
            ),
            (quote!((u8,)), "|| -> (u8 ,)"),
            (quote!(()), "|| -> ()"),
            (quote!((u8, u16)), "|| -> (u8 , u16)"),
        ] {
            let expansion = on_exit(quote!(cleanup), quote!(fn main() -> #output {})).to_string();
            assert!(expansion.contains(closure), "{output}: {expansion}");
        }
        // Through a `macro_rules!` fragment (`-> $t`), in its invisible group.
        let fragment = proc_macro2::Group::new(
            proc_macro2::Delimiter::None,
            quote!((impl std::process::Termination)),
        );
        let expansion = on_exit(quote!(cleanup), quote!(fn main() -> #fragment {})).to_string();
        assert!(expansion.contains("|| -> _"), "{expansion}");
    }
}
