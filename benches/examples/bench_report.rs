//! Writes the timed figures of the last `cargo bench -p mcx-benches --bench compare` run into
//! docs/benchmarks.md, generated sections `codec`, `end-to-end`, `table` and `targets`, so that
//! the times in the docs are the measurement's, not a copy by hand:
//!
//! ```sh
//! nice cargo bench -p mcx-benches --bench compare -- --warm-up-time 1 --measurement-time 3
//! cargo run -p mcx-benches --example bench_report
//! ```
//!
//! It reads criterion's estimates (`target/criterion/…/new/estimates.json`, the mean of the
//! last run of each benchmark; see `mcx_benches::report`) and fails, writing nothing, when one
//! is missing.

use std::path::PathBuf;
use std::process::ExitCode;

use mcx_benches::report::{sections, RunInfo};
use mcx_testkit::generated::replace_section;

/// The output of a command, trimmed, or `what` when it cannot run.
fn command_output(program: &str, args: &[&str], what: &str) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| what.to_owned())
}

/// The CPUs and the load average when the report is written (right after the benchmarks, when
/// run as documented: the 5- and 15-minute figures cover the run).
fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map_or_else(|_| "CPUs unknown".to_owned(), |n| format!("{n} CPUs"));
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| format!(" ({})", m.trim()))
        })
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" / "))
        .filter(|l| !l.is_empty())
        .map_or_else(
            || "load average unknown".to_owned(),
            |l| format!("load average {l} (1 / 5 / 15 min) at the report"),
        );
    format!("{cpus}{model}, {load}")
}

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let criterion = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("criterion");
    let run = RunInfo {
        rustc: command_output("rustc", &["--version"], "rustc unknown"),
        machine: machine(),
    };
    let docs = root.join("docs/benchmarks.md");
    let result = sections(&criterion, &run).and_then(|sections| {
        let mut text =
            std::fs::read_to_string(&docs).map_err(|e| format!("{}: {e}", docs.display()))?;
        for (name, content) in &sections {
            text = replace_section(&text, name, content)
                .map_err(|e| format!("{}, section `{name}`: {e}", docs.display()))?;
        }
        std::fs::write(&docs, text).map_err(|e| format!("{}: {e}", docs.display()))?;
        for (name, content) in &sections {
            print!("\n[{name}]\n{content}");
        }
        Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_report: {e}");
            ExitCode::FAILURE
        }
    }
}
