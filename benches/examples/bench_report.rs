//! Writes the encode/decode figures of the last `cargo bench -p mcx-benches --bench compare`
//! run into docs/benchmarks.md (generated section `codec`), so that the figures in the docs are
//! the measurement's, not a copy by hand.
//!
//! ```sh
//! cargo bench -p mcx-benches --bench compare -- '^(encode|decode)/'
//! cargo run -p mcx-benches --example bench_report
//! ```
//!
//! It reads criterion's estimates (`target/criterion/<group>/<function>/new/estimates.json`,
//! the mean of the last run) and fails, writing nothing, when a row is missing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mcx_testkit::generated::replace_section;

/// The redirection variants, as the benchmark groups name them, and their column headings.
const VARIANTS: [(&str, &str); 2] = [
    ("with_sdi", "with security domain info"),
    ("without_sdi", "without"),
];

/// The rows: group (`encode` or `decode`), criterion function name, label in the docs, and
/// whether the row gets a "× quick-xml" figure.
const ROWS: [(&str, &str, &str, bool); 9] = [
    ("encode", "mcx-migrate", "encode: mcx-migrate", true),
    (
        "encode",
        "json serde_json",
        "encode: JSON (serde_json)",
        true,
    ),
    ("encode", "xml quick-xml", "encode: XML (quick-xml)", true),
    (
        "encode",
        "memcpy postcard bytes",
        "encode: memcpy, postcard byte count (floor)",
        false,
    ),
    (
        "decode",
        "mcx-migrate",
        "decode: mcx-migrate (zero copy, validated)",
        true,
    ),
    (
        "decode",
        "postcard only, unvalidated",
        "decode: postcard alone, no validation (diagnostic)",
        true,
    ),
    (
        "decode",
        "json serde_json",
        "decode: JSON (serde_json, owned strings)",
        true,
    ),
    (
        "decode",
        "xml quick-xml",
        "decode: XML (quick-xml, owned strings)",
        true,
    ),
    (
        "decode",
        "memcpy postcard bytes",
        "decode: memcpy, postcard byte count (floor)",
        false,
    ),
];

/// The mean time of one benchmark in nanoseconds, from criterion's `estimates.json`.
fn mean_ns(criterion: &Path, group: &str, function: &str) -> Result<f64, String> {
    // criterion names a benchmark's directory after its IDs, `/` made `_`.
    let path = criterion
        .join(group.replace('/', "_"))
        .join(function)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e} (run `cargo bench -p mcx-benches --bench compare -- '^(encode|decode)/'`)",
            path.display()
        )
    })?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    json["mean"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no mean.point_estimate", path.display()))
}

/// A time with three significant figures, as criterion prints it.
fn time(ns: f64) -> String {
    if ns >= 1000.0 {
        let whole = ns.round() as u64;
        format!("{},{:03} ns", whole / 1000, whole % 1000)
    } else if ns >= 100.0 {
        format!("{ns:.0} ns")
    } else if ns >= 10.0 {
        format!("{ns:.1} ns")
    } else {
        format!("{ns:.2} ns")
    }
}

/// A ratio with two decimals below 10, one above.
fn ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.2}")
    }
}

/// The section's text from the estimates under `criterion`.
fn report(criterion: &Path, date: &str, rustc: &str) -> Result<String, String> {
    let mut ns = std::collections::HashMap::new();
    for (variant, _) in VARIANTS {
        for (group, function, _, _) in ROWS {
            let id = format!("{group}/{variant}");
            ns.insert((id.clone(), function), mean_ns(criterion, &id, function)?);
        }
    }
    let get =
        |group: &str, variant: &str, function: &str| ns[&(format!("{group}/{variant}"), function)];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| operation | {} | × | {} | × |\n|---|---:|---:|---:|---:|",
        VARIANTS[0].1, VARIANTS[1].1
    );
    for (group, function, label, times) in ROWS {
        let _ = write!(out, "| {label} |");
        for (variant, _) in VARIANTS {
            let t = get(group, variant, function);
            let x = if times {
                ratio(get(group, variant, "xml quick-xml") / t)
            } else {
                String::new()
            };
            let _ = write!(out, " {} | {x} |", time(t));
        }
        out.push('\n');
    }
    let per_variant = |f: &dyn Fn(&str) -> f64| {
        VARIANTS
            .iter()
            .map(|(variant, _)| ratio(f(variant)))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let _ = write!(
        out,
        "\n× is how many times faster than quick-xml. Against the targets ({} / {}):\n\n\
         - decode, validated, over postcard alone: {}× (target ≤ 1.5×);\n\
         - decode, validated, × quick-xml: {}× (target ≥ 20×);\n\
         - encode × quick-xml: {}× (target ≥ 20×).\n\n\
         Written by `cargo run -p mcx-benches --example bench_report` from the means of the \
         last `cargo bench -p mcx-benches --bench compare -- '^(encode|decode)/'` run, {date}, \
         {rustc}.\n",
        VARIANTS[0].1,
        VARIANTS[1].1,
        per_variant(
            &|v| get("decode", v, "mcx-migrate") / get("decode", v, "postcard only, unvalidated")
        ),
        per_variant(&|v| get("decode", v, "xml quick-xml") / get("decode", v, "mcx-migrate")),
        per_variant(&|v| get("encode", v, "xml quick-xml") / get("encode", v, "mcx-migrate")),
    );
    Ok(out)
}

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

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let criterion = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("criterion");
    let date = command_output("date", &["-u", "+%Y-%m-%d"], "date unknown");
    let rustc = command_output("rustc", &["--version"], "rustc unknown");
    let docs = root.join("docs/benchmarks.md");
    let result = report(&criterion, &date, &rustc).and_then(|section| {
        let text =
            std::fs::read_to_string(&docs).map_err(|e| format!("{}: {e}", docs.display()))?;
        let text = replace_section(&text, "codec", &section)?;
        std::fs::write(&docs, text).map_err(|e| format!("{}: {e}", docs.display()))?;
        print!("{section}");
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
