//! The rows of the table, one function per kind of measurement.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::measure::start_exit;
use crate::table::{kib, median, ratio, us, Row};

/// The start-and-exit rows: the empty attribute program against each baseline, interleaved.
pub(crate) fn start_exit_rows(bin: &Path, rounds: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    eprintln!("start and exit: {rounds} runs of each program, interleaved...");
    let [attribute, bare, thread, ctrlc, copy, without_hook] = start_exit(
        bin,
        [
            "with_attribute",
            "bare",
            "with_thread",
            "with_ctrlc",
            "with_attribute_copy",
            "with_attribute_without_hook",
        ],
        rounds,
    );
    let ours = median(&attribute);
    for (what, baseline, against, runs, target, limit) in [
        (
            "start and exit, empty `main` with `#[on_exit(cleanup)]`",
            "bare",
            "vs bare `main`",
            &bare,
            "(context)",
            None,
        ),
        (
            "same",
            "one thread",
            "vs a bare `main` that starts one parked thread (the floor)",
            &thread,
            "≤ 1.03x",
            Some(1.03),
        ),
        (
            "same",
            "ctrlc",
            "vs `ctrlc::set_handler`",
            &ctrlc,
            "≤ 1.00x",
            Some(1.0),
        ),
    ] {
        let theirs = median(runs);
        rows.push(Row::new(
            what,
            format!("{} ({baseline}: {})", us(ours), us(theirs)),
            against,
            ratio(&attribute, runs),
            target,
            limit.is_none_or(|limit| ours <= theirs * limit),
        ));
    }
    // The guardian's hook, between two copied files (one built without it), and the noise
    // floor of these rows: the same file against a copy of itself.
    let (with_hook, without) = (median(&copy), median(&without_hook));
    rows.push(Row::new(
        "same, copied (it never calls `kill_on_exit` or `remove_on_exit`)",
        format!("{} (without the hook: {})", us(with_hook), us(without)),
        "vs the same program built without the guardian's hook, also copied",
        ratio(&copy, &without_hook),
        "≤ 1.02x (no measurable cost)",
        with_hook <= without * 1.02,
    ));
    rows.push(Row::new(
        "same",
        format!("{} (the copy: {})", us(ours), us(with_hook)),
        "vs a copy of the same file (the noise floor of these rows)",
        ratio(&attribute, &copy),
        "(context)",
        true,
    ));
    rows
}

/// The rows for `kill_on_exit` and `remove_on_exit`: the first call (which starts the
/// guardian), against spawning `true` in the same program, and each further call.
pub(crate) fn guardian_rows(bin: &Path, runs: usize) -> Vec<Row> {
    let [spawn, first, further, kills] = columns(runs, "guardian_calls", || {
        Command::new(bin.join("guardian_calls"))
            .stdin(Stdio::null())
            .output()
    });
    vec![
        Row::new(
            "first `remove_on_exit` or `kill_on_exit` call (starts the guardian)",
            format!(
                "{} (spawning `true`: {})",
                us(median(&first)),
                us(median(&spawn))
            ),
            "vs spawning and reaping `true` in the same program",
            ratio(&first, &spawn),
            "(context)",
            true,
        ),
        Row::new(
            "each further `remove_on_exit` call",
            us(median(&further)),
            "-",
            String::from("-"),
            "(context)",
            true,
        ),
        Row::new(
            "each further `kill_on_exit` call",
            us(median(&kills)),
            "-",
            String::from("-"),
            "(context)",
            true,
        ),
    ]
}

/// Runs `run` (the program `name`) `runs` times; the numbers each run prints, by column.
fn columns<const N: usize>(
    runs: usize,
    name: &str,
    mut run: impl FnMut() -> std::io::Result<std::process::Output>,
) -> [Vec<u64>; N] {
    let mut columns: [Vec<u64>; N] = std::array::from_fn(|_| Vec::new());
    for _ in 0..runs {
        let output = run().unwrap_or_else(|error| panic!("{name} runs: {error}"));
        assert!(output.status.success(), "{name} failed");
        let text = String::from_utf8_lossy(&output.stdout);
        for (column, value) in columns.iter_mut().zip(text.split_whitespace()) {
            column.push(value.parse().expect("a number"));
        }
    }
    columns
}

/// `restore_terminal` on a pseudo-terminal (its stdin), against spawning `true`.
pub(crate) fn terminal_row(bin: &Path, runs: usize) -> Row {
    use std::os::fd::{FromRawFd as _, OwnedFd};

    let [spawn, first] = columns(runs, "terminal_calls", || {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty writes two descriptors; null name, termios and size ask for the
        // defaults.
        let opened = unsafe {
            libc::openpty(
                &raw mut master,
                &raw mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(opened, 0, "openpty");
        // SAFETY: two new descriptors that nothing else owns.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let output = Command::new(bin.join("terminal_calls"))
            .stdin(Stdio::from(slave))
            .stderr(Stdio::null())
            .output();
        drop(master);
        output
    });
    Row::new(
        "`restore_terminal` on a terminal (records it, starts the guardian)",
        format!(
            "{} (spawning `true`: {})",
            us(median(&first)),
            us(median(&spawn))
        ),
        "vs spawning and reaping `true` in the same program",
        ratio(&first, &spawn),
        "(context)",
        true,
    )
}

/// The rows for dropping 100,000 scoped guards, against 10,000.
pub(crate) fn scoped_rows(bin: &Path) -> Vec<Row> {
    let drops = scoped_drops(bin);
    [
        ("drop 100,000 `scoped` guards, newest first", "newest_first"),
        ("drop 100,000 `scoped` guards, oldest first", "oldest_first"),
    ]
    .into_iter()
    .map(|(what, order)| {
        let (small, large) = (drops[&(order, 10_000)], drops[&(order, 100_000)]);
        let growth = large / small;
        Row::new(
            what,
            format!("{:.2} ms (10,000: {:.2} ms)", large / 1e6, small / 1e6),
            "vs 10,000 guards",
            format!("{growth:.1}x"),
            "≤ 20x for 10x the guards (linear)",
            growth <= 20.0,
        )
    })
    .collect()
}

/// `scoped_drops`' medians over 5 runs, by order and count, in nanoseconds.
pub(crate) fn scoped_drops(bin: &Path) -> std::collections::HashMap<(&'static str, u64), f64> {
    let mut samples: std::collections::HashMap<(&'static str, u64), Vec<u64>> =
        std::collections::HashMap::new();
    for _ in 0..5 {
        let output = Command::new(bin.join("scoped_drops"))
            .output()
            .expect("scoped_drops runs");
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let mut words = line.split(' ');
            let order = match words.next() {
                Some("newest_first") => "newest_first",
                _ => "oldest_first",
            };
            let count: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
            let ns: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
            samples.entry((order, count)).or_default().push(ns);
        }
    }
    samples
        .into_iter()
        .map(|(key, runs)| (key, median(&runs)))
        .collect()
}

/// The row for 2,000,000 `scoped` guards each made before the previous one is dropped,
/// against the same guards each dropped before the next is made: medians of `runs` runs of
/// each, interleaved.
pub(crate) fn scoped_overlap_row(bin: &Path, runs: usize) -> Row {
    eprintln!("overlapping scoped guards: {runs} runs of each, interleaved...");
    // Per mode: the loop's times and the memory growths.
    let mut samples: [(Vec<u64>, Vec<u64>); 2] = Default::default();
    for _ in 0..runs {
        for (mode, (times, growths)) in ["overlapping", "sequential"].iter().zip(&mut samples) {
            let output = Command::new(bin.join("scoped_overlap"))
                .arg(mode)
                .output()
                .expect("scoped_overlap runs");
            assert!(output.status.success(), "scoped_overlap {mode}: {output:?}");
            let line = String::from_utf8_lossy(&output.stdout);
            let mut words = line.split_whitespace().map(|w| w.parse::<u64>().ok());
            let (Some(Some(ns)), Some(Some(growth))) = (words.next(), words.next()) else {
                panic!("scoped_overlap {mode} printed {line:?}");
            };
            times.push(ns);
            growths.push(growth);
        }
    }
    let [(ours, our_growth), (theirs, their_growth)] = &samples;
    let (ns, base_ns) = (median(ours), median(theirs));
    let (kib, base_kib) = (median(our_growth), median(their_growth));
    Row::new(
        "2,000,000 `scoped` guards, each made before the previous one is dropped",
        format!(
            "{:.1} ms, peak memory +{kib:.0} KiB (one at a time: {:.1} ms, +{base_kib:.0} KiB)",
            ns / 1e6,
            base_ns / 1e6
        ),
        "vs the same guards, each dropped before the next is made",
        ratio(ours, theirs),
        "≤ 2x the time, < 1 MiB more memory",
        ns <= 2.0 * base_ns && kib < base_kib + 1024.0,
    )
}

/// Release binary growth against a bare `main`.
pub(crate) fn binary_growth(bin: &Path) -> Row {
    let size = |name: &str| fs::metadata(bin.join(name)).map_or(0, |m| m.len());
    let growth = size("with_attribute").saturating_sub(size("bare"));
    Row::new(
        "release binary growth",
        format!(
            "{:.1} KiB (ctrlc: {:.1} KiB)",
            kib(growth),
            kib(size("with_ctrlc").saturating_sub(size("bare")))
        ),
        "vs bare `main`",
        String::from("-"),
        "< 100 KiB",
        growth < 100 * 1024,
    )
}
