//! The benchmark harness: builds the compared programs, measures what the attribute costs a
//! quick script against a bare `main` and against ctrlc, in one run on one machine, and prints
//! one Markdown table of medians and ratios (BENCHMARKS.md has one, and says what each row
//! means).
//!
//! ```text
//! cargo run --release -p on-exit-bench            # about two minutes on 2 cores
//! cargo run --release -p on-exit-bench -- --quick # fewer samples, no cold builds
//! cargo run --release -p on-exit-bench -- --instructions # and the cold builds' instructions
//! ```

use std::path::Path;
use std::process::Command;
use std::thread;

mod cold_build;
mod measure;
mod rows;
mod table;

use crate::cold_build::{cold_build_instruction_rows, cold_build_rows};
use crate::measure::{idle, latencies, run};
use crate::rows::{
    binary_growth, guardian_rows, scoped_overlap_row, scoped_rows, start_exit_rows, terminal_row,
};
use crate::table::{median, print_table, ratio, us, Row};

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let instructions = std::env::args().any(|arg| arg == "--instructions");
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
        eprintln!("cold builds: 5 of each quick script with -j1 and -j2, fresh target dirs...");
        rows.extend(cold_build_rows(&root, 5));
    }
    if instructions {
        eprintln!("cold builds under callgrind: one of each quick script, about 12 minutes...");
        match cold_build_instruction_rows(&root) {
            Some(rows_counted) => rows.extend(rows_counted),
            None => eprintln!("cold build instructions: not measured (valgrind did not run)"),
        }
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
