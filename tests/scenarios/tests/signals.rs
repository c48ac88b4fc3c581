//! Guarantees 1, 3, 4, 5 and 7 with real signals sent to real processes.
#![cfg(unix)]

mod support;

use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::thread;
use std::time::Duration;

use support::{Outcome, Scenario};

const BASIC: &str = env!("CARGO_BIN_EXE_basic");

/// Starts `program` in `wait` mode, sends `signal` once it is ready, and waits for the end.
fn signalled(program: &str, signal: i32, cleanup: &str) -> Outcome {
    signalled_as(Scenario::waiting(program, cleanup), signal)
}

/// Starts `scenario`, sends `signal` once it is ready, and waits for the end.
fn signalled_as(scenario: Scenario, signal: i32) -> Outcome {
    let running = scenario.start();
    running.signal(signal);
    running.finish()
}

#[test]
fn each_default_signal_runs_the_cleanup_then_kills_by_it() {
    for (signal, reason) in [
        (libc::SIGINT, "Signal(Interrupt)"),
        (libc::SIGTERM, "Signal(Terminate)"),
        (libc::SIGHUP, "Signal(Hangup)"),
    ] {
        let outcome = signalled(BASIC, signal, "quick");
        outcome.assert_cleaned_once(reason);
        outcome.assert_killed_by(signal);
    }
}

#[test]
fn sigquit_is_not_caught_by_default() {
    let mut scenario = Scenario::new(BASIC).env("ON_EXIT_MAIN", "wait");
    no_core_dumps(scenario.command());
    let mut running = scenario.spawn();
    running.wait_for("ready");
    running.signal(libc::SIGQUIT);
    let outcome = running.finish();
    assert_eq!(outcome.cleanups(), Vec::<&str>::new(), "{outcome:#?}");
    assert_eq!(outcome.status.signal(), Some(libc::SIGQUIT));
}

#[test]
fn signals_option_replaces_the_default_set() {
    let quit = env!("CARGO_BIN_EXE_quit");
    let outcome = signalled(quit, libc::SIGQUIT, "quick");
    outcome.assert_cleaned_once("Signal(Quit)");
    outcome.assert_killed_by(libc::SIGQUIT);

    let outcome = signalled(quit, libc::SIGINT, "quick");
    outcome.assert_cleaned_once("Signal(Interrupt)");
    outcome.assert_killed_by(libc::SIGINT);

    // SIGTERM is no longer in the set: it kills without the cleanup.
    let outcome = signalled(quit, libc::SIGTERM, "quick");
    assert_eq!(outcome.cleanups(), Vec::<&str>::new(), "{outcome:#?}");
    outcome.assert_killed_by(libc::SIGTERM);
}

#[test]
fn other_signals_keep_their_default_action() {
    for signal in [libc::SIGUSR1, libc::SIGUSR2, libc::SIGALRM] {
        let outcome = signalled(BASIC, signal, "quick");
        assert_eq!(outcome.cleanups(), Vec::<&str>::new(), "{outcome:#?}");
        outcome.assert_killed_by(signal);
    }
}

#[test]
fn a_signal_ignored_by_the_parent_stays_ignored() {
    for (ignored, reason) in [
        (libc::SIGHUP, "Signal(Terminate)"),
        (libc::SIGINT, "Signal(Terminate)"),
    ] {
        let mut scenario = Scenario::new(BASIC).env("ON_EXIT_MAIN", "wait");
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            scenario.command().pre_exec(move || {
                libc::signal(ignored, libc::SIG_IGN);
                Ok(())
            });
        }
        let mut running = scenario.spawn();
        running.wait_for("ready");
        running.signal(ignored);
        thread::sleep(Duration::from_millis(200));
        assert!(
            running.child.try_wait().unwrap().is_none(),
            "the ignored signal ended it"
        );
        assert_eq!(running.log(), ["ready"]);
        running.signal(libc::SIGTERM);
        let outcome = running.finish();
        outcome.assert_cleaned_once(reason);
        outcome.assert_killed_by(libc::SIGTERM);
    }
}

#[test]
fn a_signal_blocked_by_the_parent_stays_blocked() {
    // A blocked mask is inherited across exec: the handler is installed, but the signal
    // stays pending, as it would without on-exit, until the program unblocks it.
    let mut scenario = Scenario::new(BASIC).env("ON_EXIT_MAIN", "sleep:400");
    // SAFETY: only async-signal-safe calls between fork and exec, on local memory.
    unsafe {
        scenario.command().pre_exec(|| {
            let mut blocked = std::mem::zeroed::<libc::sigset_t>();
            libc::sigemptyset(&raw mut blocked);
            libc::sigaddset(&raw mut blocked, libc::SIGTERM);
            libc::sigprocmask(libc::SIG_BLOCK, &raw const blocked, std::ptr::null_mut());
            Ok(())
        });
    }
    let mut running = scenario.spawn();
    running.wait_for("ready");
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    outcome.assert_cleaned_once("Returned");
    outcome.assert_code(0);
}

#[test]
fn main_ending_during_a_signal_cleanup_waits_then_dies_by_the_signal() {
    for then in ["return", "err", "panic", "exit:7", "exit-thread:7"] {
        let scenario = Scenario::waiting(BASIC, "slow:300").env("ON_EXIT_THEN", then);
        let outcome = signalled_as(scenario, libc::SIGTERM);
        outcome.assert_cleaned_once("Signal(Terminate)");
        outcome.assert_killed_by(libc::SIGTERM);
    }
}

#[test]
fn a_cleanup_that_panics_on_a_signal_still_dies_by_it() {
    let outcome = signalled(BASIC, libc::SIGTERM, "panic");
    assert_eq!(
        outcome.cleanups(),
        ["cleanup Signal(Terminate)"],
        "{outcome:#?}"
    );
    outcome.assert_killed_by(libc::SIGTERM);
    assert!(
        outcome.stderr.contains("the cleanup panics on purpose"),
        "{outcome:#?}"
    );
}

#[test]
fn a_cleanup_that_calls_exit_on_a_signal_still_dies_by_the_signal() {
    // The signal asked the process to end: its `exit(3)` does not make it look like a normal
    // end with status 3 to the parent.
    let outcome = signalled(BASIC, libc::SIGINT, "exit:3");
    assert_eq!(
        outcome.cleanups(),
        ["cleanup Signal(Interrupt)"],
        "{outcome:#?}"
    );
    outcome.assert_killed_by(libc::SIGINT);
}

#[test]
fn a_signal_racing_main_returning_runs_the_cleanup_at_most_once() {
    // The signal is sent at a delay that sweeps across the program's whole life: before the
    // handlers exist, while `main` runs, while it returns, during and after the cleanup.
    let (mut before_main, mut signal_won, mut return_won) = (0, 0, 0);
    for run in 0..300_u64 {
        let running = Scenario::new(BASIC).spawn();
        thread::sleep(Duration::from_micros(700 + run * 5));
        // The child is not reaped before `finish`, so its pid is still ours even if it ended.
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(running.pid(), libc::SIGTERM) };
        let outcome = running.finish();
        let signalled = outcome.status.signal() == Some(libc::SIGTERM);
        match outcome.cleanups().as_slice() {
            [] => {
                // Only possible before `main`'s first statement, documented as not caught.
                assert!(outcome.log.is_empty(), "{outcome:#?}");
                assert!(signalled, "{outcome:#?}");
                before_main += 1;
            }
            ["cleanup Signal(Terminate)"] => {
                assert!(
                    signalled,
                    "the cleanup knew, the parent must too: {outcome:#?}"
                );
                assert!(outcome.finished_cleanup(), "{outcome:#?}");
                signal_won += 1;
            }
            ["cleanup Returned"] => {
                // The signal may still land after the cleanup, before the process is gone.
                assert!(
                    signalled || outcome.status.code() == Some(0),
                    "{outcome:#?}"
                );
                assert!(outcome.finished_cleanup(), "{outcome:#?}");
                return_won += 1;
            }
            other => panic!("cleanups {other:?}: {outcome:#?}"),
        }
    }
    eprintln!(
        "300 runs: {before_main} signalled before main, {signal_won} won by the signal, \
         {return_won} by main returning"
    );
}

#[test]
fn a_burst_of_300_signals_is_one_request() {
    let outcome = support::one_burst(
        || Scenario::waiting(BASIC, "slow:300").start(),
        &[libc::SIGTERM; 300],
        Duration::ZERO,
    );
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
}

#[test]
fn a_second_ctrl_c_during_a_slow_cleanup_forces_the_exit() {
    for (first, second) in [
        (libc::SIGINT, libc::SIGINT),
        (libc::SIGTERM, libc::SIGTERM),
        (libc::SIGINT, libc::SIGTERM),
    ] {
        let mut running = Scenario::waiting(BASIC, "slow:30000").start();
        running.signal(first);
        running.wait_for("cleanup Signal");
        // A person's second press, well apart from the first.
        thread::sleep(Duration::from_millis(250));
        running.signal(second);
        let outcome = running.finish();
        assert_eq!(outcome.cleanups().len(), 1, "{outcome:#?}");
        assert!(!outcome.finished_cleanup(), "{outcome:#?}");
        outcome.assert_killed_by(second);
        assert!(
            outcome.elapsed < Duration::from_secs(20),
            "not forced: {outcome:#?}"
        );
    }
}

#[test]
fn a_ctrl_c_then_a_forwarded_sigterm_is_one_request() {
    // Ctrl-C reaches the whole foreground group; foreman, honcho or a shell's `trap` forward
    // SIGTERM to the same program milliseconds later. The cleanup must still run in full.
    let outcome = support::one_burst(
        || Scenario::waiting(BASIC, "slow:300").start(),
        &[libc::SIGINT, libc::SIGTERM, libc::SIGHUP],
        Duration::from_millis(3),
    );
    outcome.assert_cleaned_once("Signal(Interrupt)");
    outcome.assert_killed_by(libc::SIGINT);
}

#[test]
fn the_same_signal_to_every_thread_at_once_is_one_request() {
    // `kill` lets any thread take a process-directed signal; a loop of them from several
    // senders lands on several threads at once.
    let running = Scenario::waiting(BASIC, "slow:300").start();
    let pid = running.pid();
    let senders: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(move || {
                for _ in 0..50 {
                    support::send(pid, libc::SIGTERM);
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    let outcome = running.finish();
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
}

#[test]
fn a_signal_the_moment_its_handler_is_installed_finds_the_cleanup() {
    // The kernel shows which signals a process catches: send SIGTERM the instant the handler
    // appears, before the install can have finished anything after it.
    for run in 0..100 {
        let running = Scenario::new(BASIC).env("ON_EXIT_MAIN", "wait").spawn();
        let status = format!("/proc/{}/status", running.pid());
        let start = std::time::Instant::now();
        loop {
            let caught = std::fs::read_to_string(&status)
                .unwrap_or_default()
                .lines()
                .find_map(|line| line.strip_prefix("SigCgt:"))
                .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
                .unwrap_or(0);
            if caught & (1 << (libc::SIGTERM - 1)) != 0 {
                break;
            }
            assert!(
                start.elapsed() < support::HANG,
                "the handler never appeared"
            );
        }
        running.signal(libc::SIGTERM);
        let outcome = running.finish();
        assert_eq!(
            outcome.cleanups(),
            ["cleanup Signal(Terminate)"],
            "run {run}: {outcome:#?}"
        );
        outcome.assert_killed_by(libc::SIGTERM);
    }
}

#[test]
fn a_repeated_sighup_never_forces() {
    let mut running = Scenario::waiting(BASIC, "slow:600").start();
    running.signal(libc::SIGHUP);
    running.wait_for("cleanup Signal");
    thread::sleep(Duration::from_millis(250));
    running.signal(libc::SIGHUP);
    let outcome = running.finish();
    outcome.assert_cleaned_once("Signal(Hangup)");
    outcome.assert_killed_by(libc::SIGHUP);
}

#[test]
fn timeout_cuts_a_slow_signal_cleanup_short() {
    let outcome = signalled(env!("CARGO_BIN_EXE_timeout"), libc::SIGTERM, "slow:30000");
    assert_eq!(
        outcome.cleanups(),
        ["cleanup Signal(Terminate)"],
        "{outcome:#?}"
    );
    assert!(!outcome.finished_cleanup(), "{outcome:#?}");
    outcome.assert_killed_by(libc::SIGTERM);
    assert!(outcome.elapsed < Duration::from_secs(20), "{outcome:#?}");
    assert!(outcome.stderr.contains("timeout of 300ms"), "{outcome:#?}");
}

#[test]
fn timeout_leaves_a_quick_cleanup_alone() {
    let outcome = signalled(env!("CARGO_BIN_EXE_timeout"), libc::SIGTERM, "slow:50");
    outcome.assert_cleaned_once("Signal(Terminate)");
    outcome.assert_killed_by(libc::SIGTERM);
}

fn no_core_dumps(command: &mut std::process::Command) {
    // SAFETY: setrlimit is async-signal-safe and gets a valid pointer.
    unsafe {
        command.pre_exec(|| {
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &raw const none);
            Ok(())
        });
    }
}

#[test]
fn a_signal_during_a_cleanup_for_another_reason_ends_by_the_signal_after_it() {
    let mut running = Scenario::new(BASIC)
        .env("ON_EXIT_MAIN", "return")
        .env("ON_EXIT_CLEANUP", "slow:400")
        .spawn();
    running.wait_for("cleanup Returned");
    running.signal(libc::SIGTERM);
    let outcome = running.finish();
    outcome.assert_cleaned_once("Returned");
    outcome.assert_killed_by(libc::SIGTERM);
}

/// The signal thread is started without std's spawn machinery (`sys/spawn/pthread.rs`): its
/// stack is still std's (2 MiB, or `RUST_MIN_STACK`), not the system's default for a new
/// thread, which follows `ulimit -s` (here 256 KiB).
#[test]
#[cfg(target_os = "linux")]
fn a_signal_cleanup_has_the_stack_std_would_give_its_thread() {
    let small_stack_limit =
        |scenario: Scenario| scenario.rlimit(libc::RLIMIT_STACK, 256 * 1024, libc::RLIM_INFINITY);
    // 1 MiB: more than the system's 256 KiB, within std's 2 MiB.
    let scenario = small_stack_limit(Scenario::waiting(BASIC, "deep:1024"));
    let outcome = signalled_as(scenario, libc::SIGTERM);
    outcome.assert_cleaned_once("Signal(Terminate)");
    assert!(outcome.finished_cleanup(), "{outcome:#?}");
    outcome.assert_killed_by(libc::SIGTERM);
    // 4 MiB: more than std's default, within the 8 MiB that `RUST_MIN_STACK` asks for.
    let scenario =
        small_stack_limit(Scenario::waiting(BASIC, "deep:4096")).env("RUST_MIN_STACK", "8388608");
    let outcome = signalled_as(scenario, libc::SIGTERM);
    assert!(outcome.finished_cleanup(), "{outcome:#?}");
    outcome.assert_killed_by(libc::SIGTERM);
    // And the 2 MiB are a limit: 4 MiB without `RUST_MIN_STACK` overflows it (std's guard
    // page: the process dies by SIGSEGV; its handler reports no overflow on a thread it did
    // not start).
    let mut scenario = Scenario::waiting(BASIC, "deep:4096");
    scenario.command().env_remove("RUST_MIN_STACK");
    no_core_dumps(scenario.command());
    let outcome = signalled_as(scenario, libc::SIGTERM);
    assert!(!outcome.finished_cleanup(), "{outcome:#?}");
    outcome.assert_killed_by(libc::SIGSEGV);
}

/// A `RUST_MIN_STACK` the system cannot give (a terabyte, or more than the address space)
/// falls back to std's default for the signal thread: the program keeps its signal cleanups.
#[test]
fn a_stack_size_the_system_refuses_still_leaves_a_signal_thread() {
    for size in ["1099511627776", "18446744073709551615"] {
        let scenario = Scenario::waiting(BASIC, "quick").env("RUST_MIN_STACK", size);
        let outcome = signalled_as(scenario, libc::SIGTERM);
        outcome.assert_cleaned_once("Signal(Terminate)");
        outcome.assert_killed_by(libc::SIGTERM);
    }
}

/// The runtime's signal thread shows its name to the system (`ps -L`, `top -H`, debuggers).
/// The thread names itself as it starts, which may be just after `main` says it is ready (it
/// was, once in CI: `["basic", "basic"]`): the names are read again until it shows, for up to
/// 10 s (a bound against a hang, not a timing).
#[test]
#[cfg(target_os = "linux")]
fn the_signal_thread_is_named_on_exit() {
    let running = Scenario::waiting(BASIC, "quick").start();
    let names = || -> Vec<String> {
        std::fs::read_dir(format!("/proc/{}/task", running.pid()))
            .expect("the program's threads are listed")
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .map(|name| name.trim_end().to_owned())
            .collect()
    };
    let mut seen = names();
    for _ in 0..1_000 {
        if seen.iter().any(|name| name == "on-exit") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        seen = names();
    }
    running.signal(libc::SIGTERM);
    running.finish().assert_killed_by(libc::SIGTERM);
    assert!(seen.iter().any(|name| name == "on-exit"), "{seen:?}");
}
