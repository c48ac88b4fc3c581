//! The benchmark harness: builds the compared programs, measures what the attribute costs a
//! quick script against a bare `main` and against ctrlc, in one run on one machine, and prints
//! one Markdown table of medians and ratios (BENCHMARKS.md has one, and says what each row
//! means).
//!
//! ```text
//! cargo run --release -p on-exit-bench            # about two minutes on 2 cores
//! cargo run --release -p on-exit-bench -- --quick # fewer samples, no cold builds
//! ```

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};
use std::{fs, thread};

use on_exit_bench::monotonic_ns;

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf();
    eprintln!("building the compared programs (release)...");
    run(Command::new("cargo")
        .args(["build", "--release", "-p", "on-exit-bench", "--bins"])
        .current_dir(&root));
    let bin = root.join("target/release");
    build_without_hook(&root, &bin);

    let mut rows = Vec::new();
    let cores = thread::available_parallelism().map_or(1, std::num::NonZero::get);

    // 1. Start and exit.
    let rounds = if quick { 100 } else { 500 };
    rows.extend(start_exit_rows(&bin, rounds));

    // 2. Signal to the cleanup's first line.
    let samples = if quick { 50 } else { 300 };
    eprintln!("signal latency: {samples} samples each...");
    let [our_samples, their_samples] = latencies(
        [
            (&bin.join("latency_attribute"), libc::SIGTERM),
            (&bin.join("latency_ctrlc"), libc::SIGINT),
        ],
        samples,
    );
    let (ours, theirs) = (median(&our_samples), median(&their_samples));
    rows.push(Row::new(
        "signal sent → cleanup's first line (release)",
        format!("{} (ctrlc: {})", us(ours), us(theirs)),
        "vs a ctrlc handler",
        ratio(&our_samples, &their_samples),
        "≤ 1.1x and < 1 ms",
        ours <= theirs * 1.1 && ours < 1_000_000.0,
    ));

    // 3. Cold build of a quick script: CPU time (user + sys) and wall time, one job and two.
    if quick {
        eprintln!("cold builds: skipped (--quick)");
    } else {
        eprintln!("cold builds: 3 of each quick script with -j1 and -j2, fresh target dirs...");
        rows.extend(cold_build_rows(&root, 5));
    }

    rows.push(binary_growth(&bin));

    // 5. Dropping scoped guards: linear, in either order; overlapping ones stay small.
    rows.extend(scoped_rows(&bin));
    rows.push(scoped_overlap_row(&bin, if quick { 3 } else { 9 }));

    // 6. kill_on_exit and remove_on_exit: the first call starts the guardian.
    let runs = if quick { 5 } else { 20 };
    eprintln!("guardian calls: {runs} runs...");
    rows.extend(guardian_rows(&bin, runs));
    rows.push(terminal_row(&bin, runs));

    // 7. Idle cost.
    let (ticks, threads) = idle(&bin.join("idle"));
    rows.push(Row::new(
        "CPU while idle, 2 s after install",
        format!("{ticks} ticks, {threads} threads"),
        "-",
        String::from("-"),
        "0 ticks (no busy thread)",
        ticks == 0,
    ));

    print_table(&rows, cores, rounds, samples);
}

/// Builds the empty attribute program without the guardian's hook (which every program
/// carries, and which only the guardian's copy acts on) into a target directory of its own,
/// and puts it next to the others as `with_attribute_without_hook`.
fn build_without_hook(root: &Path, bin: &Path) {
    run(Command::new("cargo")
        .args([
            "build",
            "--release",
            "-p",
            "on-exit-bench",
            "--bin",
            "with_attribute",
        ])
        .env("RUSTFLAGS", "--cfg on_exit_no_guardian_hook")
        .env("CARGO_TARGET_DIR", root.join("target/bench-without-hook"))
        .current_dir(root));
    std::fs::copy(
        root.join("target/bench-without-hook/release/with_attribute"),
        bin.join("with_attribute_without_hook"),
    )
    .expect("the program without the hook is copied next to the others");
    // And a plain copy of the program with it: the two copied files compare like with like.
    std::fs::copy(bin.join("with_attribute"), bin.join("with_attribute_copy"))
        .expect("the program is copied");
}

/// The start-and-exit rows: the empty attribute program against each baseline, interleaved.
fn start_exit_rows(bin: &Path, rounds: usize) -> Vec<Row> {
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
fn guardian_rows(bin: &Path, runs: usize) -> Vec<Row> {
    let mut columns: [Vec<u64>; 4] = Default::default();
    for _ in 0..runs {
        let output = Command::new(bin.join("guardian_calls"))
            .stdin(Stdio::null())
            .output()
            .expect("guardian_calls runs");
        assert!(output.status.success(), "guardian_calls failed");
        let text = String::from_utf8_lossy(&output.stdout);
        for (column, value) in columns.iter_mut().zip(text.split_whitespace()) {
            column.push(value.parse().expect("a number"));
        }
    }
    let [spawn, first, further, kills] = columns;
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

/// `restore_terminal` on a pseudo-terminal (its stdin), against spawning `true`.
fn terminal_row(bin: &Path, runs: usize) -> Row {
    use std::os::fd::{FromRawFd as _, OwnedFd};

    let mut columns: [Vec<u64>; 2] = Default::default();
    for _ in 0..runs {
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
            .output()
            .expect("terminal_calls runs");
        drop(master);
        assert!(output.status.success(), "terminal_calls failed");
        let text = String::from_utf8_lossy(&output.stdout);
        for (column, value) in columns.iter_mut().zip(text.split_whitespace()) {
            column.push(value.parse().expect("a number"));
        }
    }
    let [spawn, first] = columns;
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
fn scoped_rows(bin: &Path) -> Vec<Row> {
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
fn scoped_drops(bin: &Path) -> std::collections::HashMap<(&'static str, u64), f64> {
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
fn scoped_overlap_row(bin: &Path, runs: usize) -> Row {
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
fn binary_growth(bin: &Path) -> Row {
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

/// The Markdown table that BENCHMARKS.md quotes.
fn print_table(rows: &[Row], cores: usize, rounds: usize, samples: usize) {
    println!("\nMeasured on {cores} cores; medians of {rounds} runs (start), {samples} samples (latency).\n");
    println!("| what | measured | compared with | ratio | target | met |");
    println!("|---|---|---|---|---|---|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            row.what,
            row.measured,
            row.against,
            row.ratio,
            row.target,
            if row.met { "yes" } else { "**no**" }
        );
    }
}

struct Row {
    what: &'static str,
    measured: String,
    against: &'static str,
    ratio: String,
    target: &'static str,
    met: bool,
}

impl Row {
    fn new(
        what: &'static str,
        measured: String,
        against: &'static str,
        ratio: String,
        target: &'static str,
        met: bool,
    ) -> Row {
        Row {
            what,
            measured,
            against,
            ratio,
            target,
            met,
        }
    }
}

fn run(command: &mut Command) {
    let status = command.status().expect("the command starts");
    assert!(status.success(), "{command:?} failed: {status}");
}

#[allow(clippy::cast_precision_loss)] // nanoseconds and bytes: far below 2^52
fn median(samples: &[u64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted[sorted.len() / 2] as f64
}

fn us(ns: f64) -> String {
    format!("{:.1} µs", ns / 1_000.0)
}

#[allow(clippy::cast_precision_loss)]
fn kib(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

/// The ratio of the medians, and its range over five blocks of consecutive samples: how much
/// of it is the machine's noise.
fn ratio(ours: &[u64], theirs: &[u64]) -> String {
    let block = (ours.len() / 5).max(1);
    let blocks: Vec<f64> = ours
        .chunks(block)
        .zip(theirs.chunks(block))
        .map(|(ours, theirs)| median(ours) / median(theirs))
        .collect();
    let low = blocks.iter().copied().fold(f64::INFINITY, f64::min);
    let high = blocks.iter().copied().fold(0.0, f64::max);
    format!(
        "{:.3}x (blocks: {low:.2}–{high:.2})",
        median(ours) / median(theirs)
    )
}

/// Median wall time of spawning and reaping each program, runs interleaved so that drift in
/// the machine's load hits all of them alike.
fn start_exit<const N: usize>(bin: &Path, names: [&str; N], rounds: usize) -> [Vec<u64>; N] {
    let mut times: [Vec<u64>; N] = std::array::from_fn(|_| Vec::with_capacity(rounds));
    for round in 0..rounds {
        for offset in 0..N {
            let which = (round + offset) % N;
            let start = Instant::now();
            let status = Command::new(bin.join(names[which]))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .status()
                .expect("the program starts");
            let elapsed = start.elapsed();
            assert!(status.success());
            times[which].push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
        }
    }
    times
}

fn read_line(reader: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .expect("a line from the program");
    line.trim().to_owned()
}

/// Median time from `kill` in the harness to the first line of the cleanup in the program,
/// for each program, samples interleaved.
fn latencies<const N: usize>(programs: [(&Path, i32); N], samples: usize) -> [Vec<u64>; N] {
    let mut times: [Vec<u64>; N] = std::array::from_fn(|_| Vec::with_capacity(samples));
    for sample in 0..samples {
        for offset in 0..N {
            let which = (sample + offset) % N;
            let (program, signal) = programs[which];
            times[which].push(latency(program, signal));
        }
    }
    times
}

/// Starts `program` and waits for its `ready` line.
fn start_ready(program: &Path) -> (Child, BufReader<ChildStdout>) {
    let mut child = Command::new(program)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    assert_eq!(read_line(&mut stdout), "ready");
    (child, stdout)
}

/// One sample: nanoseconds from `kill` to the cleanup's first line.
fn latency(program: &Path, signal: i32) -> u64 {
    let (mut child, mut stdout) = start_ready(program);
    // Let it settle into its wait.
    thread::sleep(Duration::from_millis(2));
    let pid = i32::try_from(child.id()).expect("pid");
    let sent = monotonic_ns();
    // SAFETY: kill has no memory-safety preconditions; the child is not reaped yet.
    unsafe { libc::kill(pid, signal) };
    let line = read_line(&mut stdout);
    let started: u64 = line
        .strip_prefix("cleanup ")
        .and_then(|time| time.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    drop(child.stdin.take());
    let _ = child.wait();
    started.saturating_sub(sent)
}

/// CPU ticks the program used while it waited, and its thread count.
fn idle(program: &Path) -> (u64, usize) {
    let (mut child, _stdout) = start_ready(program);
    thread::sleep(Duration::from_millis(300));
    let before = cpu_ticks(child.id());
    thread::sleep(Duration::from_secs(2));
    let after = cpu_ticks(child.id());
    let threads = fs::read_to_string(format!("/proc/{}/status", child.id()))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    (after.saturating_sub(before), threads)
}

/// utime + stime of a process, in clock ticks, from `/proc/PID/stat`.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0)
}

/// Median cold-build times of the same quick script with the attribute and with ctrlc.
/// The quick script three ways: the attribute, the builder without the `macros` feature, and
/// ctrlc by hand. For each job count, a row for each of ours against ctrlc, on CPU time.
fn cold_build_rows(root: &Path, samples: usize) -> Vec<Row> {
    let dir = root.join("target/bench-cold");
    let on_exit = |features: &str| {
        format!(
            "on-exit = {{ path = {:?}{features} }}",
            root.display().to_string()
        )
    };
    let attribute = quick_script(
        &dir.join("attribute"),
        &on_exit(""),
        "#[on_exit::on_exit(cleanup)]\nfn main() {\n    println!(\"working\");\n}\n\nfn cleanup() {\n    println!(\"cleaned up\");\n}\n",
    );
    let builder = quick_script(
        &dir.join("builder"),
        &on_exit(", default-features = false"),
        "fn main() {\n    let _guard = on_exit::Config::new(cleanup).install();\n    println!(\"working\");\n}\n\nfn cleanup() {\n    println!(\"cleaned up\");\n}\n",
    );
    let ctrlc = quick_script(
        &dir.join("ctrlc"),
        "ctrlc = \"3.5\"",
        "fn main() {\n    ctrlc::set_handler(cleanup).expect(\"handler\");\n    println!(\"working\");\n    cleanup();\n}\n\nfn cleanup() {\n    println!(\"cleaned up\");\n}\n",
    );
    let mut rows = Vec::new();
    for jobs in [1, 2] {
        // Interleaved, so that a change in the machine's load hits the three scripts alike.
        let mut runs: [Vec<(u64, u64)>; 3] = Default::default();
        for _ in 0..samples {
            for (script, runs) in [&attribute, &builder, &ctrlc].into_iter().zip(&mut runs) {
                runs.push(cold_build(script, jobs));
            }
        }
        let [(attribute_cpu, attribute_wall), (builder_cpu, builder_wall), (ctrlc_cpu, ctrlc_wall)] =
            runs.map(|runs| {
                let cpu: Vec<u64> = runs.iter().map(|run| run.0).collect();
                let wall: Vec<u64> = runs.iter().map(|run| run.1).collect();
                (median(&cpu), median(&wall))
            });
        for (what, cpu, wall, target, limit) in [
            (
                if jobs == 1 {
                    "cold build, `#[on_exit]`, -j1"
                } else {
                    "cold build, `#[on_exit]`, -j2"
                },
                attribute_cpu,
                attribute_wall,
                "CPU ≤ 1.3x",
                1.3,
            ),
            (
                if jobs == 1 {
                    "cold build, `Config` without `macros`, -j1"
                } else {
                    "cold build, `Config` without `macros`, -j2"
                },
                builder_cpu,
                builder_wall,
                "CPU ≤ 1.00x",
                1.0,
            ),
        ] {
            rows.push(Row::new(
                what,
                format!(
                    "CPU {:.2} s, wall {:.2} s (ctrlc: CPU {:.2} s, wall {:.2} s)",
                    cpu / 1e9,
                    wall / 1e9,
                    ctrlc_cpu / 1e9,
                    ctrlc_wall / 1e9
                ),
                "vs the same script with ctrlc",
                format!(
                    "{:.2}x CPU, {:.2}x wall",
                    cpu / ctrlc_cpu,
                    wall / ctrlc_wall
                ),
                target,
                cpu <= ctrlc_cpu * limit,
            ));
        }
    }
    rows
}

fn quick_script(dir: &Path, dependency: &str, main: &str) -> PathBuf {
    fs::create_dir_all(dir.join("src")).expect("the script's folder");
    let manifest = format!(
        "[package]\nname = \"quick-script\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{dependency}\n\n[workspace]\n"
    );
    fs::write(dir.join("Cargo.toml"), manifest).expect("Cargo.toml");
    fs::write(dir.join("src/main.rs"), main).expect("main.rs");
    // Fetched once: the measurement is the build, not the download.
    run(Command::new("cargo").arg("fetch").current_dir(dir));
    dir.to_path_buf()
}

/// One cold build of `script` with `jobs` jobs: (CPU time of cargo and the compilers it ran,
/// wall time), in nanoseconds.
fn cold_build(script: &Path, jobs: usize) -> (u64, u64) {
    let target = script.join("target");
    let _ = fs::remove_dir_all(&target);
    let before = children_cpu_ns();
    let start = Instant::now();
    // Not incremental: on-exit is a path dependency here, and cargo builds path dependencies
    // incrementally (which costs it about 1.5 s of CPU), but a user gets it from crates.io,
    // built once like ctrlc. The same for all three scripts.
    run(Command::new("cargo")
        .args(["build", "--quiet", "--offline", "-j", &jobs.to_string()])
        .env("CARGO_INCREMENTAL", "0")
        .current_dir(script)
        .stderr(Stdio::null()));
    let wall = start.elapsed();
    let cpu = children_cpu_ns().saturating_sub(before);
    (cpu, u64::try_from(wall.as_nanos()).unwrap_or(u64::MAX))
}

/// User plus system time of every child process waited for so far, in nanoseconds.
fn children_cpu_ns() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the rusage it is given; zeroed memory is a valid rusage.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    let ns = |time: libc::timeval| {
        u64::try_from(time.tv_sec).unwrap_or(0) * 1_000_000_000
            + u64::try_from(time.tv_usec).unwrap_or(0) * 1_000
    };
    ns(usage.ru_utime) + ns(usage.ru_stime)
}
