//! The expansion adds no lint to a clean `main`, whatever its shape (`-> !`, `impl Trait`, a
//! `Result`, async under tokio above or below, items in the body): `tests/lints`, one
//! program per shape, passes clippy with its pedantic and nursery groups denied.

use std::path::Path;
use std::process::Command;

#[test]
fn every_shape_of_main_is_clippy_clean() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lints/Cargo.toml");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lints");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "clippy",
            "--quiet",
            "--offline",
            "--bins",
            "--manifest-path",
        ])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .args([
            "--",
            "-D",
            "warnings",
            "-D",
            "clippy::pedantic",
            "-D",
            "clippy::nursery",
        ])
        .output()
        .expect("cargo clippy runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}
