//! Code generation, from the typed inputs only.

use crate::args::{self, is, is_ident, respan, Args};
use crate::error::Error;
use crate::item::{self, MainFn, Mistake};
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
        (Err(mut error), Err(mistake)) => {
            error.combine(mistake.error().clone());
            errors(&error, item, Some(&mistake))
        }
    }
}

/// `fn main` with the runtime installed by its first statement:
///
/// ```text
/// fn main() -> R {
///     #![inner attributes]
///     let guard = ::on_exit::Config::new(HANDLER).OPTIONS.install();
///     let result: R = (|| { BODY })();          // `async { BODY }.await` in an async fn
///     ::on_exit::__private::end(guard, result)
/// }
/// ```
///
/// The guard's drop at the end of `main` (a return, an early `return`, a `?`, a panic) runs
/// the cleanup. The body runs as a closure of its own, so that every temporary of its last
/// expression is dropped before the guard, in every edition (up to 2021 a tail expression's
/// temporaries outlive the block's locals), and a `return` in it (tokio's generated `main`
/// has one) still reaches `end`, which reports an `Err` before a signal's death. `R` is left
/// out for `impl Trait`, and a `main` returning `!` keeps a plain block. `guard` and
/// `result` are named at the macro's own (mixed-site) span: the body cannot name them.
pub(crate) fn main_fn(args: &Args, main: MainFn) -> TokenStream {
    let site = Span::call_site();
    let krate = args
        .krate
        .clone()
        .unwrap_or_else(|| code("::on_exit", site));
    let install = install(args, &krate);
    let MainFn {
        signature,
        inner_attrs,
        statements,
        body_span,
        is_async,
        output,
    } = main;
    let hidden = Span::mixed_site();
    let guard = TokenTree::Ident(Ident::new("__on_exit_guard", hidden));
    let result = TokenTree::Ident(Ident::new("__on_exit_result", hidden));
    // The body runs as a closure (an async block for `async fn main`), so that a `return` in
    // it (tokio's generated `main` has one) comes back here too, with every temporary of the
    // body dropped. A `main` that returns `!` never comes back: a block is enough.
    let output = output.unwrap_or_else(|| code("()", site));
    let never = output.to_string() == "!";
    let statements = group(Delimiter::Brace, statements, hidden);
    let value = if never {
        statements
    } else if is_async {
        join([code("async", hidden), statements, code(".await", hidden)])
    } else {
        let closure = join([code("||", hidden), statements]);
        join([
            group(Delimiter::Parenthesis, closure, hidden),
            code("()", hidden),
        ])
    };
    // The declared type guides inference in the body (`?`, `Ok(())`); `impl Trait` cannot
    // be written on a `let`, and there the body's own type is `main`'s anyway.
    let opaque = output
        .clone()
        .into_iter()
        .any(|token| is_ident(&token, "impl"));
    let typed = if never || opaque {
        TokenStream::new()
    } else {
        join([code(":", hidden), output])
    };
    // A body that never returns normally (`loop {}`, a final `process::exit`) makes the
    // last statement unreachable; that is the expansion's business, not the user's.
    let end_arguments = join([
        guard.clone().into(),
        code(",", hidden),
        result.clone().into(),
    ]);
    let body = join([
        inner_attrs,
        code("let", hidden),
        guard.into(),
        code("=", hidden),
        install,
        code(";", hidden),
        code("let", hidden),
        result.clone().into(),
        typed,
        code("=", hidden),
        value,
        code(";", hidden),
        code("#[allow(unreachable_code)] let", hidden),
        result.clone().into(),
        code("=", hidden),
        krate,
        code("::__private::end", hidden),
        group(Delimiter::Parenthesis, end_arguments, hidden),
        code(";", hidden),
        result.into(),
    ]);
    let mut signature: TokenStream = signature.into_iter().collect();
    signature.extend([group(Delimiter::Brace, body, body_span)]);
    signature
}

/// `KRATE::Config::new(HANDLER).OPTIONS.install()`.
fn install(args: &Args, krate: &TokenStream) -> TokenStream {
    let site = Span::call_site();
    // Spanned at the handler, so that a handler of the wrong type is reported on it.
    let mut install = join([
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
            list.extend([
                krate.clone(),
                code(&format!("::Signal::{},", signal.variant), site),
            ]);
        }
        let slice = join([code("&", site), group(Delimiter::Bracket, list, site)]);
        install.extend([
            code(".signals", site),
            group(Delimiter::Parenthesis, slice, site),
        ]);
    }
    if let Some(ms) = args.timeout_ms {
        let mut ms = Literal::u64_suffixed(ms);
        ms.set_span(site);
        let duration = join([
            code("::core::time::Duration::from_millis", site),
            group(Delimiter::Parenthesis, TokenTree::Literal(ms).into(), site),
        ]);
        install.extend([
            code(".timeout", site),
            group(Delimiter::Parenthesis, duration, site),
        ]);
    }
    if args.graceful.is_some() {
        install.extend([code(".graceful()", site)]);
    }
    install.extend([code(".install()", site)]);
    install
}

/// The errors, next to the user's function so that they are the only errors.
pub(crate) fn errors(errors: &Error, item: TokenStream, mistake: Option<&Mistake>) -> TokenStream {
    let mut output = errors.to_compile_error();
    match mistake {
        Some(Mistake::BadMain { name, .. }) => {
            // rustc would add "`main` function has wrong type": rename the user's function
            // (its body is still checked) and stand in an empty `main`.
            let renamed = format!("__on_exit_invalid_{name}");
            let site = Span::call_site();
            output.extend([
                code("#[allow(dead_code)]", site),
                rename(item::without_on_exit(item), name, &renamed),
                code("fn main() {}", site),
            ]);
        }
        Some(Mistake::NotMain(_)) | None => output.extend([item]),
    }
    output
}

/// Rust source as tokens, every one of them at `span`.
fn code(source: &str, span: Span) -> TokenStream {
    respan(source.parse().unwrap_or_default(), span)
}

/// `tokens` in `delimiter`s at `span`.
fn group(delimiter: Delimiter, tokens: TokenStream, span: Span) -> TokenStream {
    let mut group = Group::new(delimiter, tokens);
    group.set_span(span);
    TokenTree::Group(group).into()
}

fn join<const N: usize>(parts: [TokenStream; N]) -> TokenStream {
    parts.into_iter().collect()
}

/// Renames the first `fn NAME` in `item`.
fn rename(item: TokenStream, name: &Ident, renamed: &str) -> TokenStream {
    let mut after_fn = false;
    let mut done = false;
    item.into_iter()
        .map(|token| {
            let token = match &token {
                TokenTree::Ident(ident) if after_fn && !done && is(ident, &name.to_string()) => {
                    done = true;
                    TokenTree::Ident(Ident::new(renamed, ident.span()))
                }
                _ => token,
            };
            after_fn = is_ident(&token, "fn");
            token
        })
        .collect()
}
