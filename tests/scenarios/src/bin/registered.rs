//! Cleanups registered at run time next to the attribute's: their order, a panicking one, a
//! late registration, and a scoped one.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::process::ExitCode;

use on_exit::on_exit;
use on_exit_scenarios::{body, cleanup, log, registered, setting_of, Failure};

#[on_exit(cleanup)]
fn main() -> Result<ExitCode, Failure> {
    let panics = setting_of("ON_EXIT_REGISTERED", &["", "panic"]) == "panic";
    let drops = setting_of("ON_EXIT_SCOPED", &["", "drop"]) == "drop";
    on_exit::register(registered("first"));
    on_exit::register(move |reason: on_exit::Reason| {
        log(&format!("registered second {reason:?}"));
        // Registered while the cleanups run: it runs at once.
        on_exit::register(|| log("registered late"));
        assert!(!panics, "a registered cleanup panics on purpose");
    });
    let scoped = on_exit::scoped(|| log("scoped"));
    if drops {
        drop(scoped);
        let cancelled = on_exit::scoped(|| log("cancelled"));
        cancelled.cancel();
        body()
    } else {
        let result = body();
        drop(scoped);
        result
    }
}
