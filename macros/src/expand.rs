//! Code generation, from the typed inputs only.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};

use crate::args::{self, Args};
use crate::item::{self, MainFn, Mistake};

/// The whole attribute on `proc_macro2` tokens: parse, then expand the function or the
/// errors. Also what the fuzz target (`fuzz/`) calls.
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
    let krate = args
        .krate
        .as_ref()
        .map_or_else(|| quote!(::on_exit), Clone::clone);
    let handler = &args.handler;
    // Spanned at the handler, so that a handler of the wrong type is reported on it.
    let mut install = quote_spanned! {args.handler_span=>
        #krate::Config::new(#handler)
    };
    if let Some(signals) = &args.signals {
        let variants = signals
            .iter()
            .map(|signal| format_ident!("{}", signal.variant));
        install = quote!(#install.signals(&[#(#krate::Signal::#variants),*]));
    }
    if let Some(ms) = args.timeout_ms {
        install = quote!(#install.timeout(::core::time::Duration::from_millis(#ms)));
    }
    if args.graceful.is_some() {
        install = quote!(#install.graceful());
    }
    let install = quote!(#install.install());
    let MainFn {
        signature,
        inner_attrs,
        statements,
        body_span,
        is_async,
        output,
    } = main;
    let hidden = Span::mixed_site();
    let guard = Ident::new("__on_exit_guard", hidden);
    let result = Ident::new("__on_exit_result", hidden);
    // The body runs as a closure (an async block for `async fn main`), so that a `return` in
    // it (tokio's generated `main` has one) comes back here too, with every temporary of the
    // body dropped. A `main` that returns `!` never comes back: a block is enough.
    let output = output.unwrap_or_else(|| quote!(()));
    let never = output.to_string() == "!";
    let value = if never {
        quote_spanned!(hidden=> { #statements })
    } else if is_async {
        quote_spanned!(hidden=> async { #statements }.await)
    } else {
        quote_spanned!(hidden=> (|| { #statements })())
    };
    // The declared type guides inference in the body (`?`, `Ok(())`); `impl Trait` cannot
    // be written on a `let`, and there the body's own type is `main`'s anyway.
    let opaque = output
        .clone()
        .into_iter()
        .any(|token| matches!(&token, TokenTree::Ident(i) if i == "impl"));
    let typed = if never || opaque {
        quote!()
    } else {
        quote_spanned!(hidden=> : #output)
    };
    // A body that never returns normally (`loop {}`, a final `process::exit`) makes the
    // last statement unreachable; that is the expansion's business, not the user's.
    let end = quote_spanned! {hidden=>
        #[allow(unreachable_code)]
        let #result = #krate::__private::end(#guard, #result);
        #result
    };
    let body = quote_spanned! {hidden=>
        #inner_attrs
        let #guard = #install;
        let #result #typed = #value;
        #end
    };
    let mut body = Group::new(Delimiter::Brace, body);
    body.set_span(body_span);
    let signature = signature.into_iter();
    quote!(#(#signature)* #body)
}

/// The errors, next to the user's function so that they are the only errors.
pub(crate) fn errors(
    errors: &syn::Error,
    item: TokenStream,
    mistake: Option<&Mistake>,
) -> TokenStream {
    let errors = errors.to_compile_error();
    match mistake {
        Some(Mistake::BadMain { name, .. }) => {
            // rustc would add "`main` function has wrong type": rename the user's function
            // (its body is still checked) and stand in an empty `main`.
            let renamed = format_ident!("__on_exit_invalid_{}", name);
            let item = rename(item::without_on_exit(item), name, &renamed);
            quote! {
                #errors
                #[allow(dead_code)]
                #item
                fn main() {}
            }
        }
        Some(Mistake::NotMain(_)) | None => quote!(#errors #item),
    }
}

/// Renames the first `fn NAME` in `item`.
fn rename(item: TokenStream, name: &Ident, renamed: &Ident) -> TokenStream {
    let mut after_fn = false;
    let mut done = false;
    item.into_iter()
        .map(|token| {
            let token = match &token {
                TokenTree::Ident(ident) if after_fn && !done && ident == name => {
                    done = true;
                    TokenTree::Ident(Ident::new(&renamed.to_string(), ident.span()))
                }
                _ => token,
            };
            after_fn = matches!(&token, TokenTree::Ident(ident) if ident == "fn");
            token
        })
        .collect()
}
