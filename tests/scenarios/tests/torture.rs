//! The torture test: the scenario programs run thousands of times with signals at random
//! moments (before `main`'s body, during it, while `main` returns, during the cleanup), in
//! bursts of one signal and of mixed ones, as repeats, with `exit` called from several
//! threads at once, with a cleanup's `exit` racing `main`'s, and to a process group of a
//! parent and its forked workers.
//!
//! ```text
//! ON_EXIT_TORTURE_RUNS=20000 cargo test --release -p on-exit-scenarios --test torture -- --ignored --nocapture
//! ```
//!
//! `ON_EXIT_TORTURE_SEED` replays a run. Every run must end with the cleanup run exactly once
//! (at most once when forced, or when the signal came before the handlers existed), the right
//! status, no hang, and no death by any signal that was not sent (no crash, no abort).
#![cfg(unix)]

mod support;

use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::{Outcome, Scenario};

const BASIC: &str = env!("CARGO_BIN_EXE_basic");
const EXIT_RACE: &str = env!("CARGO_BIN_EXE_exit_race");
const FORK: &str = env!("CARGO_BIN_EXE_fork");

/// xorshift64*: small, seedable, good enough to pick moments.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `main` returns at once; one signal lands somewhere around it.
    ReturnRace,
    /// `main` waits; a signal, then a burst of repeats, maybe a second request.
    SignalStorm,
    /// `main` ends (return, error, panic, exit) while the signal's cleanup runs.
    MainEndsDuringCleanup,
    /// Four threads call `exit(7)` at once.
    ExitThreads,
    /// `main` waits; a signal, then different signals within the burst window.
    MixedBurst,
    /// `main` calls `exit(3)` on the request while a cleanup calls `exit(7)`.
    ExitRace,
    /// A parent and two forked workers; the signal goes to the whole group.
    ForkWorkers,
}

/// One run: what kind, the signals sent, whether a second request (which may force the exit)
/// was among them, and how it ended. `None` when the machine was too slow to send a burst as
/// one (two sends more than `BURST_GAP` apart): the program may rightly have seen a second
/// request, so the run proves nothing and is made again.
fn run_once(random: &mut Random) -> Option<(Kind, Vec<i32>, bool, Outcome)> {
    let kind = random.pick(&[
        Kind::ReturnRace,
        Kind::SignalStorm,
        Kind::MainEndsDuringCleanup,
        Kind::ExitThreads,
        Kind::MixedBurst,
        Kind::ExitRace,
        Kind::ForkWorkers,
    ]);
    let signal = random.pick(&[libc::SIGINT, libc::SIGTERM, libc::SIGHUP]);
    let mut sent = Vec::new();
    let mut sent_at = Vec::new();
    let mut second_request = false;
    let scenario = match kind {
        Kind::ReturnRace => Scenario::new(BASIC),
        Kind::SignalStorm | Kind::MixedBurst => {
            Scenario::waiting(BASIC, &format!("slow:{}", random.below(20)))
        }
        Kind::MainEndsDuringCleanup => {
            Scenario::waiting(BASIC, &format!("slow:{}", random.below(20))).env(
                "ON_EXIT_THEN",
                random.pick(&["return", "err", "panic", "exit:7", "exit-thread:7"]),
            )
        }
        Kind::ExitThreads => Scenario::new(BASIC).env("ON_EXIT_MAIN", "exit-threads:7"),
        Kind::ExitRace => Scenario::new(EXIT_RACE)
            .env("ON_EXIT_MAIN", "until-requested")
            .env("ON_EXIT_THEN", "exit:3")
            .env("ON_EXIT_DELAY_US", &random.below(5_000).to_string()),
        Kind::ForkWorkers => {
            let mut scenario = Scenario::new(FORK).env("ON_EXIT_FORK", "workers:2");
            scenario.command().process_group(0);
            scenario
        }
    };
    let running = scenario.spawn();
    let target = if matches!(kind, Kind::ForkWorkers) {
        // A worker forked after the signal was sent never got it: send it once both exist.
        let since = std::time::Instant::now();
        while running
            .log()
            .iter()
            .filter(|l| l.ends_with(" worker ready"))
            .count()
            < 2
        {
            assert!(since.elapsed() < support::HANG, "the workers never started");
            thread::sleep(Duration::from_micros(100));
        }
        -running.pid()
    } else {
        running.pid()
    };
    thread::sleep(Duration::from_micros(random.below(3_000)));
    if !matches!(kind, Kind::ExitThreads) || random.below(2) == 0 {
        let mut kill = |signal: i32, sent: &mut Vec<i32>| {
            // The child is not reaped before `finish`, so its pid is still ours.
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(target, signal) };
            sent.push(signal);
            sent_at.push(Instant::now());
        };
        kill(signal, &mut sent);
        if matches!(kind, Kind::MixedBurst) {
            for _ in 0..=random.below(3) {
                thread::sleep(Duration::from_micros(random.below(20_000)));
                let other = random.pick(&[libc::SIGINT, libc::SIGTERM, libc::SIGHUP]);
                kill(other, &mut sent);
            }
        }
        if matches!(kind, Kind::SignalStorm) {
            for _ in 0..random.below(50) {
                kill(signal, &mut sent);
            }
            if random.below(3) == 0 {
                thread::sleep(Duration::from_millis(random.below(30)));
                let late = random.pick(&[libc::SIGINT, libc::SIGTERM, libc::SIGHUP]);
                second_request = late != libc::SIGHUP;
                kill(late, &mut sent);
            }
        }
    }
    let outcome = running.finish();
    if matches!(kind, Kind::ForkWorkers) {
        // The workers got the group's signal too: none may swallow it.
        support::assert_gone_soon(&worker_pids(&outcome));
    }
    let one_burst = sent_at
        .windows(2)
        .all(|pair| pair[1] - pair[0] <= support::BURST_GAP);
    one_burst.then_some((kind, sent, second_request, outcome))
}

/// The fork scenario's workers, from their `PID worker ready` lines.
fn worker_pids(outcome: &Outcome) -> Vec<i32> {
    outcome
        .log
        .iter()
        .filter_map(|line| line.strip_suffix(" worker ready"))
        .filter_map(|pid| pid.parse().ok())
        .collect()
}

/// The fork scenario's lines without their process ids, and the exit race's registered
/// cleanup, read as the other scenarios' lines.
fn normalized(kind: Kind, outcome: &Outcome) -> Outcome {
    let log = outcome
        .log
        .iter()
        .map(|line| match kind {
            Kind::ForkWorkers => line.split_once(' ').map_or(line.clone(), |(_, rest)| {
                if rest.starts_with("cleanup") {
                    format!("{rest}\ncleanup done")
                } else {
                    rest.to_owned()
                }
            }),
            _ => line.clone(),
        })
        .flat_map(|line| line.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    Outcome {
        status: outcome.status,
        log,
        stderr: outcome.stderr.clone(),
        elapsed: outcome.elapsed,
    }
}

/// The invariants every run must keep.
fn check(kind: Kind, sent: &[i32], second_request: bool, outcome: &Outcome) -> Result<(), String> {
    let outcome = &normalized(kind, outcome);
    if matches!(kind, Kind::ExitRace) {
        let exits = outcome
            .log
            .iter()
            .filter(|line| line.starts_with("registered exits"))
            .count();
        // Registered before `ready`: it runs with the attribute's (first, being the newest).
        // A signal before its registration runs the attribute's alone, and it runs late.
        let registered = outcome.log.iter().any(|line| line == "ready");
        let ran = !outcome.cleanups().is_empty();
        if exits > 1 || (registered && ran && exits != 1) {
            return Err(format!("the exiting cleanup ran {exits} times"));
        }
    }
    let killed_by = outcome.status.signal();
    if let Some(signal) = killed_by {
        if !sent.contains(&signal) {
            return Err(format!("died by signal {signal}, which nobody sent"));
        }
    }
    let cleanups = outcome.cleanups();
    match cleanups.as_slice() {
        [] => {
            // Only a signal before the handlers existed may skip the cleanup.
            if outcome.log.iter().any(|line| line == "ready") && killed_by.is_none() {
                return Err("no cleanup after main started".into());
            }
            if killed_by.is_none() {
                return Err("no cleanup and not killed".into());
            }
        }
        [one] => {
            let exited_with = |code| killed_by.is_some() || outcome.status.code() == Some(code);
            let consistent = match *one {
                // A signal's cleanup: the parent must see the death by a signal.
                reason if reason.starts_with("cleanup Signal(") => killed_by.is_some(),
                // Otherwise the program's own code, or a signal that came after the cleanup.
                "cleanup Exited" => exited_with(7),
                "cleanup Returned" => exited_with(0) || exited_with(7),
                other => return Err(format!("unexpected {other}")),
            };
            if !consistent {
                return Err(format!("{one}, then {:?}", outcome.status));
            }
            if !outcome.finished_cleanup() && !second_request {
                return Err("the cleanup was cut short without a second request".into());
            }
        }
        more => return Err(format!("the cleanup ran {} times", more.len())),
    }
    Ok(())
}

#[test]
#[ignore = "long: run it with the command in the file's docs"]
fn torture() {
    let runs: usize = std::env::var("ON_EXIT_TORTURE_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(2_000);
    let seed = std::env::var("ON_EXIT_TORTURE_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |time| u64::from(time.subsec_nanos()) | 1)
        });
    let mut random = Random(seed);
    let mut failures = Vec::new();
    let mut by_kind = std::collections::BTreeMap::<String, usize>::new();
    let mut too_slow = 0;
    for run in 0..runs {
        let (kind, sent, second_request, outcome) = loop {
            if let Some(run) = run_once(&mut random) {
                break run;
            }
            too_slow += 1;
            assert!(
                too_slow <= runs / 10 + 5,
                "{too_slow} runs could not send their burst within {:?}",
                support::BURST_GAP
            );
        };
        *by_kind.entry(format!("{kind:?}")).or_default() += 1;
        if let Err(why) = check(kind, &sent, second_request, &outcome) {
            failures.push(format!(
                "run {run} ({kind:?}, sent {sent:?}): {why}: {outcome:?}"
            ));
        }
    }
    eprintln!(
        "torture: {runs} runs, {} failures, seed {seed}, by kind {by_kind:?}, {too_slow} made \
         again (a burst sent too slowly)",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
