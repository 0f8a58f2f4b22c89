//! Helpers shared by the `mcx` integration tests: run the built binary, and a scratch directory
//! per test file.
// Each test binary uses a different subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the built `mcx` with `args`.
pub fn mcx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcx"))
        .args(args)
        .output()
        .expect("run mcx")
}

/// The standard output of `mcx args`, which must succeed.
pub fn stdout_ok(args: &[&str]) -> String {
    let out = mcx(args);
    assert!(
        out.status.success(),
        "mcx {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// `name` inside the scratch directory `dir` of the tests (created if missing).
pub fn temp(dir: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}
