//! The table the harness prints, and the statistics in it.

/// The Markdown table that BENCHMARKS.md quotes.
pub(crate) fn print_table(rows: &[Row], cores: usize, rounds: usize, samples: usize) {
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

pub(crate) struct Row {
    what: &'static str,
    measured: String,
    against: &'static str,
    ratio: String,
    target: &'static str,
    met: bool,
}

impl Row {
    pub(crate) fn new(
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

#[allow(clippy::cast_precision_loss)] // nanoseconds and bytes: far below 2^52
pub(crate) fn median(samples: &[u64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted[sorted.len() / 2] as f64
}

pub(crate) fn us(ns: f64) -> String {
    format!("{:.1} µs", ns / 1_000.0)
}

#[allow(clippy::cast_precision_loss)]
pub(crate) fn kib(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

/// The ratio of the medians, and its range over five blocks of consecutive samples: how much
/// of it is the machine's noise.
pub(crate) fn ratio(ours: &[u64], theirs: &[u64]) -> String {
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
