//! Running the compared programs and timing them.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};
use std::{fs, thread};

use on_exit_bench::monotonic_ns;

pub(crate) fn run(command: &mut Command) {
    let status = command.status().expect("the command starts");
    assert!(status.success(), "{command:?} failed: {status}");
}

/// Median wall time of spawning and reaping each program, runs interleaved so that drift in
/// the machine's load hits all of them alike.
pub(crate) fn start_exit<const N: usize>(
    bin: &Path,
    names: [&str; N],
    rounds: usize,
) -> [Vec<u64>; N] {
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

pub(crate) fn read_line(reader: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .expect("a line from the program");
    line.trim().to_owned()
}

/// Median time from `kill` in the harness to the first line of the cleanup in the program,
/// for each program, samples interleaved.
pub(crate) fn latencies<const N: usize>(
    programs: [(&Path, i32); N],
    samples: usize,
) -> [Vec<u64>; N] {
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
pub(crate) fn start_ready(program: &Path) -> (Child, BufReader<ChildStdout>) {
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
pub(crate) fn latency(program: &Path, signal: i32) -> u64 {
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
pub(crate) fn idle(program: &Path) -> (u64, usize) {
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
pub(crate) fn cpu_ticks(pid: u32) -> u64 {
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
