//! The attribute's arguments, read: what is accepted, and each mistake's one error.

use super::*;
use quote::quote;

#[test]
fn durations() {
    assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
    assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
    // Found by an outside tester: more milliseconds than a u64 holds, a valid duration.
    assert_eq!(
        parse_duration("1000000000000000000s"),
        Some(Duration::from_secs(1_000_000_000_000_000_000))
    );
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
        "999999999999999999m",
    ] {
        assert_eq!(parse_duration(bad), None, "{bad:?}");
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
    assert_eq!(args.timeout, Some(Duration::from_secs(2)));

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
    assert_eq!(args.timeout, Some(Duration::from_secs(5)));

    let args = parse(quote!(cleanup, timeout = "\x35s")).map(|args| args.timeout);
    assert_eq!(
        args.ok(),
        Some(Some(Duration::from_secs(5))),
        "an escape means what Rust says"
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
        // Found by the fuzzer in CI: `become` starts an operand, as `return` does.
        (quote!(..become t1i), quote!(graceful, timeout = "1s")),
    ] {
        let args = parse(quote!(#handler, #options))
            .unwrap_or_else(|error| panic!("{handler} with {options}: {error}"));
        assert_eq!(args.handler.to_string(), handler.to_string());
    }
}

#[test]
fn one_error_on_the_offending_token() {
    for (attr, at, message) in [
        (quote!(|| (), 5), "5", "expected `signals"),
        (quote!(cleanup, graceful, 5), "5", "expected `signals"),
        (
            quote!(cleanup, graceful timeout = "1s"),
            "timeout",
            "expected `,`",
        ),
        (
            quote!(|| (), graceful, signals(interrupt) | x),
            "|",
            "expected `,`",
        ),
        (
            quote!(cleanup, timeout = "1s" "2s"),
            "\"2s\"",
            "expected `,`",
        ),
        (quote!(cleanup graceful), "graceful", "expected `,`"),
        (quote!(|| () graceful), "graceful", "expected `,`"),
        (quote!(m::cleanup timeout = "1s"), "timeout", "expected `,`"),
        (quote!(|| a b c), "b", "expected `,`"),
    ] {
        let error = parse(attr.clone())
            .err()
            .unwrap_or_else(|| panic!("accepted {attr}"));
        assert_eq!(error.count(), 1, "{attr}: {error:?}");
        assert!(error.to_string().starts_with(message), "{attr}: {error}");
        let _ = at;
    }
}

#[test]
fn a_function_named_like_an_option_is_a_handler() {
    let args = parse(quote!(signals(1), graceful)).unwrap();
    assert_eq!(args.handler.to_string(), quote!(signals(1)).to_string());
    let args = parse(quote!(graceful)).unwrap();
    assert_eq!(args.handler.to_string(), "graceful");
}

#[test]
fn a_handler_that_reads_like_the_signals_option_keeps_its_names_for_the_stand_ins() {
    for (attr, names) in [
        (quote!(signals(interrupt)), vec!["interrupt"]),
        (
            quote!(signals(interrupt, quit,), graceful),
            vec!["interrupt", "quit"],
        ),
        (quote!(signals(), timeout = "1s"), vec![]),
    ] {
        let args = parse(attr.clone()).unwrap();
        let like = args.like_signals.expect("read like the option");
        let like: Vec<String> = like.iter().map(ToString::to_string).collect();
        assert_eq!(like, names, "{attr}");
    }
    for attr in [
        quote!(signals(1)),
        quote!(signals(interrupt interrupt)),
        quote!(signals(interrupt, sigint)),
        quote!(cleanup),
    ] {
        assert!(
            parse(attr.clone()).unwrap().like_signals.is_none(),
            "{attr}"
        );
    }
}

#[test]
fn mistakes_are_errors() {
    for bad in [
        quote!(),
        quote!(timeout = "5s"),
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
        quote!(|| (), 5),
        quote!(cleanup, graceful, 5),
        quote!(cleanup, graceful timeout = "1s"),
        quote!(|| (), graceful, signals(interrupt) | x),
        quote!(cleanup, crate = "\"x"),
        quote!(cleanup, crate = "/*"),
    ] {
        assert!(parse(bad.clone()).is_err(), "accepted {bad}");
    }
}
