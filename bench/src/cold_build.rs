//! Cold builds of a quick script, with the attribute, the builder and ctrlc, and with the floor
//! of any attribute (`bench/fixtures/floor_attribute.rs`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::measure::run;
use crate::table::{median, Row};

/// The quick scripts' rows, in the order of [`quick_scripts`]: what each is, and its target
/// against ctrlc (`None`: context).
const SCRIPTS: [(&str, Option<&str>); 3] = [
    ("`#[on_exit]`", Some("CPU ≤ 1.00x")),
    ("`Config` without `macros`", Some("CPU ≤ 1.00x")),
    (
        "an attribute that reads nothing (the floor of any attribute)",
        None,
    ),
];

/// Median cold-build times of the quick scripts ([`quick_scripts`]): for each job count, a row
/// for each of ours against ctrlc, on CPU time.
pub(crate) fn cold_build_rows(root: &Path, samples: usize) -> Vec<Row> {
    let [attribute, builder, floor, ctrlc] = quick_scripts(root);
    let mut rows = Vec::new();
    for jobs in [1, 2] {
        // Interleaved, so that a change in the machine's load hits the scripts alike.
        let mut runs: [Vec<(u64, u64)>; 4] = Default::default();
        for _ in 0..samples {
            for (script, runs) in [&attribute, &builder, &floor, &ctrlc]
                .into_iter()
                .zip(&mut runs)
            {
                runs.push(cold_build(script, jobs));
            }
        }
        let [ours @ .., (ctrlc_cpu, ctrlc_wall)] = runs.map(|runs| {
            let cpu: Vec<u64> = runs.iter().map(|run| run.0).collect();
            let wall: Vec<u64> = runs.iter().map(|run| run.1).collect();
            (median(&cpu), median(&wall))
        });
        for ((script, target), (cpu, wall)) in SCRIPTS.into_iter().zip(ours) {
            rows.push(Row::new(
                leak(format!("cold build, {script}, -j{jobs}")),
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
                target.unwrap_or("(context)"),
                target.is_none() || cpu <= ctrlc_cpu,
            ));
        }
    }
    rows
}

/// Instructions of one cold `-j1` build of each quick script (cargo and every compiler it
/// runs), counted by valgrind's callgrind: the same count in every run on one machine, however
/// loaded, where the times above move by a tenth from run to run. About four minutes a
/// script. `None` if valgrind cannot be run.
pub(crate) fn cold_build_instruction_rows(root: &Path) -> Option<Vec<Row>> {
    let [attribute, builder, floor, ctrlc] = quick_scripts(root);
    let ctrlc = instructions(&ctrlc)?;
    let mut rows = Vec::new();
    for ((script, target), dir) in SCRIPTS.into_iter().zip([attribute, builder, floor]) {
        let ours = instructions(&dir)?;
        #[allow(clippy::cast_precision_loss)] // about 10^10: far below 2^52
        let ratio = ours as f64 / ctrlc as f64;
        rows.push(Row::new(
            leak(format!(
                "cold build instructions (callgrind), {script}, -j1"
            )),
            format!("{ours} (ctrlc: {ctrlc})"),
            "vs the same script with ctrlc",
            format!("{ratio:.3}x"),
            target.map_or("(context)", |_| "≤ 1.00x"),
            target.is_none() || ours <= ctrlc,
        ));
    }
    Some(rows)
}

/// A row's name, made once per row of a run that then ends.
fn leak(what: String) -> &'static str {
    what.leak()
}

/// The instructions callgrind counts in a cold `-j1` build of `script`, children included.
fn instructions(script: &Path) -> Option<u64> {
    let _ = fs::remove_dir_all(script.join("target"));
    let counts = script.join("callgrind");
    let _ = fs::remove_dir_all(&counts);
    fs::create_dir_all(&counts).ok()?;
    let status = Command::new("valgrind")
        .args(["--tool=callgrind", "--trace-children=yes"])
        .arg(format!("--callgrind-out-file={}/%p", counts.display()))
        .args(["cargo", "build", "--quiet", "--offline", "-j", "1"])
        .env("CARGO_INCREMENTAL", "0")
        .current_dir(script)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let mut total = 0;
    for entry in fs::read_dir(&counts).ok()? {
        let text = fs::read_to_string(entry.ok()?.path()).ok()?;
        for line in text.lines() {
            if let Some(count) = line.strip_prefix("summary: ") {
                total += count.trim().parse::<u64>().ok()?;
            }
        }
    }
    Some(total)
}

/// The quick script four ways, written under `target/bench-cold`: with the attribute, with
/// the builder and without the `macros` feature, with the floor of any attribute in front of
/// that builder, and with ctrlc by hand.
fn quick_scripts(root: &Path) -> [PathBuf; 4] {
    let dir = root.join("target/bench-cold");
    let on_exit = |features: &str| {
        format!(
            "on-exit = {{ path = {:?}{features} }}",
            root.display().to_string()
        )
    };
    let main = |attribute: &str| {
        format!("#[{attribute}(cleanup)]\nfn main() {{\n    println!(\"working\");\n}}\n\nfn cleanup() {{\n    println!(\"cleaned up\");\n}}\n")
    };
    let attribute = quick_script(
        &dir.join("attribute"),
        &on_exit(""),
        &main("on_exit::on_exit"),
    );
    let builder = quick_script(
        &dir.join("builder"),
        &on_exit(", default-features = false"),
        "fn main() {\n    let _guard = on_exit::Config::new(cleanup).install();\n    println!(\"working\");\n}\n\nfn cleanup() {\n    println!(\"cleaned up\");\n}\n",
    );
    let floor_attribute = dir.join("floor/attribute");
    fs::create_dir_all(floor_attribute.join("src")).expect("the floor attribute's folder");
    fs::write(
        floor_attribute.join("Cargo.toml"),
        "[package]\nname = \"floor-attribute\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\nproc-macro = true\n",
    )
    .expect("the floor attribute's Cargo.toml");
    fs::write(
        floor_attribute.join("src/lib.rs"),
        include_str!("../fixtures/floor_attribute.rs"),
    )
    .expect("the floor attribute's lib.rs");
    let floor = quick_script(
        &dir.join("floor"),
        &format!(
            "{}\nfloor-attribute = {{ path = \"attribute\" }}",
            on_exit(", default-features = false")
        ),
        &main("floor_attribute::on_exit"),
    );
    let ctrlc = quick_script(
        &dir.join("ctrlc"),
        "ctrlc = \"3.5\"",
        "fn main() {\n    ctrlc::set_handler(cleanup).expect(\"handler\");\n    println!(\"working\");\n    cleanup();\n}\n\nfn cleanup() {\n    println!(\"cleaned up\");\n}\n",
    );
    [attribute, builder, floor, ctrlc]
}

pub(crate) fn quick_script(dir: &Path, dependency: &str, main: &str) -> PathBuf {
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
pub(crate) fn cold_build(script: &Path, jobs: usize) -> (u64, u64) {
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
pub(crate) fn children_cpu_ns() -> u64 {
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
