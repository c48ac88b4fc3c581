//! `kill_on_exit` over a program's life: groups whose leader was reaped (by the program, or by
//! a prompt reaper once the program died), numbers given to another child, workers started
//! and stopped by the thousand, more children than the guardian's first descriptor limit,
//! and many children that ignore `SIGTERM`.
#![cfg(target_os = "linux")]

mod support;

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{assert_gone_within, gone, guardian_of, send, Running, Scenario};

const GUARDIAN: &str = env!("CARGO_BIN_EXE_guardian");
/// A prompt reaper, as systemd and tini are (`src/bin/subreaper.rs`).
const SUBREAPER: &str = env!("CARGO_BIN_EXE_subreaper");
/// How long a test waits for the work after the program's death: the guardian's grace
/// period plus a margin of seconds.
const WITHIN: Duration = support::GUARDIAN_DEADLINE;

fn pids(log: &[String], prefixes: &[&str]) -> Vec<i32> {
    log.iter()
        .filter_map(|line| {
            let (word, pid) = line.split_once(' ')?;
            prefixes.contains(&word).then(|| pid.parse().unwrap())
        })
        .collect()
}

/// The guardian scenario program with `children`, ending as `end` says; its stderr goes
/// nowhere (the children inherit it: a pipe to this test would stay open while they run).
fn scenario(mut scenario: Scenario, children: &str, end: &str) -> Scenario {
    scenario = scenario
        .env("ON_EXIT_CHILDREN", children)
        .env("ON_EXIT_END", end);
    scenario.command().stderr(Stdio::null());
    scenario
}

/// Starts it and waits for `ready`.
fn start(scenario: Scenario) -> (Running, Vec<String>) {
    let mut running = scenario.spawn();
    running.wait_for("ready");
    let log = running.log();
    (running, log)
}

/// Kills the program (under the reaper, the reaper's child) with `SIGKILL`; returns when.
fn kill_program(log: &[String]) -> Instant {
    send(pids(log, &["program"])[0], libc::SIGKILL);
    Instant::now()
}

/// Whether the kernel signals a group through its leader's pidfd (Linux 6.9), which the
/// members of a group whose leader was reaped need (the README says so).
fn groups_through_pidfds() -> bool {
    let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().unwrap_or(0));
    let version = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    let works = version >= (6, 9);
    if !works {
        eprintln!("SKIPPED: Linux {release} is older than 6.9 (no PIDFD_SIGNAL_PROCESS_GROUP)");
    }
    works
}

/// A group whose leader ended and was reaped by the program: its member, which ignores
/// `SIGTERM`, still goes with it, whether the program is killed (the guardian) or returns
/// (the registered cleanup).
#[test]
fn a_group_goes_with_its_leader_after_the_program_reaped_it() {
    if !groups_through_pidfds() {
        return;
    }
    for end in ["wait", "return"] {
        let program = Scenario::wrapped(GUARDIAN, &[SUBREAPER]);
        let (running, log) = start(scenario(program, "reapedgroup,spare", end));
        assert!(log.contains(&"armed".to_owned()), "{log:?}");
        assert_eq!(pids(&log, &["reaped"]), pids(&log, &["child"]), "{log:?}");
        let member = pids(&log, &["grandchild"]);
        let died = if end == "wait" {
            kill_program(&log)
        } else {
            Instant::now()
        };
        assert_gone_within(WITHIN + WITHIN.saturating_sub(died.elapsed()), &member);
        let spare = pids(&log, &["spare"])[0];
        assert!(!gone(spare), "{end}: the spare child was touched");
        send(spare, libc::SIGKILL);
        let outcome = running.finish();
        if end == "return" {
            assert!(
                outcome.log.contains(&"handler: 0 alive".to_owned()),
                "{outcome:#?}"
            );
        }
    }
}

/// A leader that goes on `SIGTERM` is reaped at once by a prompt reaper once the program has
/// died: its member, which ignores `SIGTERM`, still gets the guardian's `SIGKILL`.
#[test]
fn a_group_goes_with_its_leader_reaped_by_a_prompt_reaper_after_the_program_died() {
    if !groups_through_pidfds() {
        return;
    }
    let program = Scenario::wrapped(GUARDIAN, &[SUBREAPER]);
    let (running, log) = start(scenario(program, "deafmember", "wait"));
    assert!(log.contains(&"armed".to_owned()), "{log:?}");
    let armed = pids(&log, &["child", "grandchild"]);
    let died = kill_program(&log);
    assert_gone_within(WITHIN.saturating_sub(died.elapsed()), &armed);
    running.finish();
}

/// A child waited for, whose number another child got since (forced with `ns_last_pid` in a
/// PID namespace of the program's own): the call arms nothing, and the other child lives.
#[test]
fn a_number_given_to_another_child_is_never_armed() {
    if !support::pid_namespaces_work() {
        return;
    }
    let outcome = Scenario::wrapped(
        env!("CARGO_BIN_EXE_guardian_reuse"),
        &["unshare", "--pid", "--fork", "--mount-proc"],
    )
    .run();
    assert!(
        outcome.log.iter().any(|line| line.starts_with("reused ")),
        "{outcome:#?}"
    );
    assert!(outcome.log.contains(&"call Ok".to_owned()), "{outcome:#?}");
    assert!(
        outcome.log.contains(&"handler: other alive".to_owned()),
        "{outcome:#?}"
    );
    outcome.assert_code(0);
}

fn descriptor_count(pid: i32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count()
}

/// A supervisor that starts, arms, stops and reaps its worker again and again (5,000 times;
/// `ON_EXIT_TEST_WORKERS` sets another count) holds a few descriptors, and so does its
/// guardian; the last worker, still running, is still stopped by `kill -9`.
#[test]
fn workers_started_and_stopped_by_the_thousand_hold_a_bounded_number_of_descriptors() {
    let workers = std::env::var("ON_EXIT_TEST_WORKERS").unwrap_or_else(|_| "5000".into());
    let mut program =
        Scenario::new(env!("CARGO_BIN_EXE_guardian_workers")).env("ON_EXIT_WORKERS", &workers);
    program.command().stderr(Stdio::null());
    let (running, log) = start(program);
    assert!(!log.iter().any(|line| line.starts_with("error")), "{log:?}");
    let guardian = guardian_of(running.pid()).expect("a guardian runs");
    let (ours, its) = (descriptor_count(running.pid()), descriptor_count(guardian));
    eprintln!("after {workers} workers: the program holds {ours} descriptors, its guardian {its}");
    // The program: stdio, the channel, one pidfd, and what the test harness leaks (such as
    // cargo's jobserver pipe). The guardian: stdio, the channel, the program's pidfd, one.
    assert!(ours <= 16, "the program holds {ours} descriptors");
    assert!(its <= 6, "the guardian holds {its} descriptors");
    running.signal(libc::SIGKILL);
    let outcome = running.finish();
    outcome.assert_killed_by(libc::SIGKILL);
    assert_gone_within(WITHIN, &pids(&log, &["child"]));
}

/// The hard limit on descriptors, which the test must be allowed to reach.
fn hard_descriptor_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit fills one valid rlimit.
    let got = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) };
    assert_eq!(got, 0);
    limit.rlim_max
}

/// The program starts its guardian with a soft limit of 1,024 descriptors, raises its own to
/// the hard limit and arms 1,200 children: every call returns `Ok`, and `kill -9` stops all.
#[test]
fn more_children_than_the_guardians_first_limit_all_go() {
    if hard_descriptor_limit() < 1400 {
        eprintln!("SKIPPED: the hard descriptor limit is below 1,400");
        return;
    }
    let program =
        scenario(Scenario::new(GUARDIAN), "1200*plain", "wait").env("ON_EXIT_NOFILE_SOFT", "1024");
    let (running, log) = start(program);
    assert!(log.contains(&"armed".to_owned()), "{:?}", log.last());
    let armed = pids(&log, &["child"]);
    assert_eq!(armed.len(), 1200);
    running.signal(libc::SIGKILL);
    running.finish().assert_killed_by(libc::SIGKILL);
    assert_gone_within(WITHIN, &armed);
}

/// A guardian with no descriptor left for a child refuses it: that call returns an error, and
/// every child whose call returned `Ok` is stopped by `kill -9`.
#[test]
fn a_child_the_guardian_cannot_take_is_an_error() {
    let program =
        scenario(Scenario::new(GUARDIAN), "40*plain", "wait").env("ON_EXIT_GUARDIAN_NOFILE", "16");
    let (running, log) = start(program);
    let refused = pids(&log, &["refused"]);
    let armed: Vec<_> = pids(&log, &["child"])
        .into_iter()
        .filter(|pid| !refused.contains(pid))
        .collect();
    assert!(!refused.is_empty() && !armed.is_empty(), "{log:?}");
    assert!(
        log.iter()
            .any(|line| line.starts_with("error") && line.contains("no descriptor left")),
        "{log:?}"
    );
    running.signal(libc::SIGKILL);
    running.finish().assert_killed_by(libc::SIGKILL);
    assert_gone_within(WITHIN, &armed);
    for pid in refused {
        assert!(
            !gone(pid),
            "a refused child was stopped: was it armed after all?"
        );
        send(pid, libc::SIGKILL);
    }
}

/// On an ending the program sees, ten children that ignore `SIGTERM` share one grace period:
/// about a second, not ten.
#[test]
fn many_children_that_ignore_sigterm_take_one_grace_period() {
    let (running, _) = start(scenario(Scenario::new(GUARDIAN), "10*deaf", "return"));
    let outcome = running.finish();
    outcome.assert_code(0);
    assert!(
        outcome.log.contains(&"handler: 0 alive".to_owned()),
        "{outcome:#?}"
    );
    assert!(
        outcome.elapsed < Duration::from_secs(5),
        "stopping took {:?}",
        outcome.elapsed
    );
}
