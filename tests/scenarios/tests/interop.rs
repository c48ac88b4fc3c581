//! Programs that also use signal-hook, tokio's signals or ctrlc directly: what happens to the
//! cleanup and the exit status (the README's interop section states the same).
#![cfg(unix)]

mod support;

use support::Scenario;

#[test]
fn signal_hook_used_directly_runs_too_and_the_guarantee_holds() {
    let mut running =
        Scenario::waiting(env!("CARGO_BIN_EXE_interop_signal_hook"), "slow:200").start();
    running.signal(libc::SIGTERM);
    running.wait_for("cleanup Signal(Terminate)");
    let outcome = running.finish();
    // Both handlers ran: signal-hook's registry chains them.
    assert!(
        outcome.log.contains(&"signal-hook flag set".to_owned()),
        "{outcome:#?}"
    );
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
}

#[test]
fn tokio_ctrl_c_sees_the_signal_too_and_the_guarantee_holds() {
    for _ in 0..20 {
        let running = Scenario::new(env!("CARGO_BIN_EXE_interop_tokio_signal")).start();
        running.signal(libc::SIGINT);
        let outcome = running.finish();
        // tokio's listener and on-exit's both run (tokio is built on signal-hook's registry);
        // `main` may or may not get to log before the process dies by the signal, but the
        // cleanup runs once and the parent sees SIGINT either way.
        outcome.assert_cleaned_once("Signal(Interrupt)");
        outcome.assert_killed_by(libc::SIGINT);
    }
}

#[test]
fn ctrlc_set_after_the_attribute_takes_sigint_over() {
    // ctrlc replaces the SIGINT handler: its handler runs instead of on-exit's, and when it
    // calls `exit`, the cleanup runs on that path, told `Exited`.
    let running = Scenario::waiting(env!("CARGO_BIN_EXE_interop_ctrlc"), "quick").start();
    running.signal(libc::SIGINT);
    let outcome = running.finish();
    assert_eq!(
        outcome.log,
        ["ready", "ctrlc handler", "cleanup Exited", "cleanup done"],
        "{outcome:#?}"
    );
    outcome.assert_code(2);

    // The signals ctrlc does not take (without its `termination` feature) stay on-exit's.
    let running = Scenario::waiting(env!("CARGO_BIN_EXE_interop_ctrlc"), "quick").start();
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
}
