//! docs/benchmarks.md holds no figure copied by hand: the bytes on the wire and the table
//! storage per record (no timing) must equal what `mcx_benches::sizes` computes, and outside the
//! generated sections no line may state a time or a byte count.
//!
//! The timed sections (`codec`, `end-to-end`, `table`, `targets`) are written by
//! `cargo run -p mcx-benches --example bench_report` after a benchmark run and depend on the
//! machine, so no test compares them. Fast: no criterion.
//!
//! `MCX_BLESS=1 cargo test -p mcx-benches --test docs_figures` (or `cargo run -p mcx-benches
//! --example wire_sizes -- --write-docs`) rewrites the `wire-sizes` section.

use std::path::{Path, PathBuf};

use mcx_benches::report::{CODEC, END_TO_END, TABLE, TARGETS};
use mcx_benches::sizes::{docs_section, CHECK_COMMAND, DOCS_SECTION};
use mcx_testkit::generated::{begin_marker, check_section, end_marker, section};

fn page() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/benchmarks.md")
}

#[test]
fn the_wire_sizes_section_is_what_wire_sizes_computes() {
    if let Err(e) = check_section(&page(), DOCS_SECTION, &docs_section(), CHECK_COMMAND) {
        panic!("{e}");
    }
}

#[test]
fn every_generated_section_is_on_the_page() {
    let text = std::fs::read_to_string(page()).unwrap();
    for name in [DOCS_SECTION, CODEC, END_TO_END, TABLE, TARGETS] {
        let content = section(&text, name).unwrap_or_else(|e| panic!("section `{name}`: {e}"));
        assert!(!content.trim().is_empty(), "section `{name}` is empty");
    }
}

/// Whether `line` states a measured-looking figure: a number followed by a time unit or by `B`
/// (bytes).
fn states_a_figure(line: &str) -> bool {
    let bytes = line.as_bytes();
    (0..bytes.len()).any(|i| {
        if !bytes[i].is_ascii_digit() {
            return false;
        }
        let rest = line[i + 1..]
            .trim_start_matches([',', '.', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        ["ns", "µs", "us", "ms", "B"].iter().any(|unit| {
            rest.strip_prefix(unit)
                .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric()))
        })
    })
}

#[test]
fn no_figure_outside_the_generated_sections() {
    assert!(states_a_figure("took 42.1 ns"));
    assert!(states_a_figure("| 1,072 ns |"));
    assert!(states_a_figure("COBS frame 120 B / 91 B"));
    assert!(!states_a_figure(
        "N = 16, 256, 4096; 64 KiB; ≤ 1.5×; 2 Bytes"
    ));
    let text = std::fs::read_to_string(page()).unwrap();
    let mut inside: Option<String> = None;
    let mut offending = Vec::new();
    for (n, line) in text.lines().enumerate() {
        match &inside {
            Some(name) if line.trim() == end_marker(name) => inside = None,
            Some(_) => {}
            None => {
                if let Some(name) = line
                    .trim()
                    .strip_prefix("<!-- BEGIN generated: ")
                    .and_then(|l| l.strip_suffix(" -->"))
                {
                    assert_eq!(line.trim(), begin_marker(name));
                    inside = Some(name.to_owned());
                } else if states_a_figure(line) {
                    offending.push(format!("{}: {line}", n + 1));
                }
            }
        }
    }
    assert!(inside.is_none(), "a generated section is not closed");
    assert!(
        offending.is_empty(),
        "docs/benchmarks.md states figures outside its generated sections; let the tool that \
         measures them write them:\n{}",
        offending.join("\n")
    );
}
