//! The timed figures of docs/benchmarks.md, from criterion's estimates: what
//! `cargo run -p mcx-benches --example bench_report` writes into the page's generated sections
//! [`CODEC`], [`END_TO_END`], [`TABLE`] and [`TARGETS`], so that no measured time in the docs is
//! a copy by hand.
//!
//! Every figure is the mean of criterion's last run of a benchmark
//! (`target/criterion/<group>/<function>[/<parameter>]/new/estimates.json`). [`sections`] reads
//! all the estimates it needs before it formats anything, and fails, naming every missing one,
//! when one is missing: the report is written whole or not at all.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::fixtures::{KEYS_PER_ITER, MEMBER_STRING_BYTES, TABLE_SIZES};

/// Generated section: encode and decode of one redirection in each format.
pub const CODEC: &str = "codec";
/// Generated section: the server's and the client's step, bytes to bytes.
pub const END_TO_END: &str = "end-to-end";
/// Generated section: the migration table against `HashMap`.
pub const TABLE: &str = "table";
/// Generated section: the timed targets and whether this run meets them.
pub const TARGETS: &str = "targets";

/// The command that runs the benchmarks the report reads.
pub const BENCH_COMMAND: &str =
    "cargo bench -p mcx-benches --bench compare -- --warm-up-time 1 --measurement-time 3";
/// The command that writes the report.
pub const REPORT_COMMAND: &str = "cargo run -p mcx-benches --example bench_report";

/// Target: decode and encode at least this many times faster than quick-xml.
pub const CODEC_VS_XML_MIN: f64 = 20.0;
/// Target: the validating decoder at most this many times postcard's unvalidated decode.
pub const DECODE_VS_POSTCARD_MAX: f64 = 1.5;
/// Target: a migration table lookup at most this many times a `HashMap` lookup.
pub const LOOKUP_VS_HASH_MAP_MAX: f64 = 1.5;
/// Target: a migration table update at most this many times the `HashMap` update.
pub const UPDATE_VS_HASH_MAP_MAX: f64 = 2.0;
/// "Flat in N", as this report checks it: for each table operation, the table's time per key at
/// its slowest N at most this many times its time at the smallest N.
pub const FLAT_MAX: f64 = 1.5;

/// The redirection variants, as the benchmark groups name them, and their column headings.
const VARIANTS: [(&str, &str); 2] = [
    ("with_sdi", "with security domain info"),
    ("without_sdi", "without"),
];

/// The codec rows: group (`encode` or `decode`), criterion function name, label in the docs,
/// and whether the row gets a "× quick-xml" figure.
const CODEC_ROWS: [(&str, &str, &str, bool); 9] = [
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

/// The end-to-end rows: group, function name before `/<variant>`, label.
const END_TO_END_ROWS: [(&str, &str, &str); 2] = [
    (
        "server",
        "decode+decide+encode",
        "server A: decode the request, `decide`, encode the redirection",
    ),
    (
        "client",
        "decode+on_redirection+encode",
        "client 1: decode the redirection, `on_redirection`, encode the request to the \
         partner-assigned ID",
    ),
];

/// Whether a table row is a lookup or an update: which target it answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TableKind {
    Lookup,
    Update,
}

/// The table rows: kind, group, the case after `MigrationTable ` / `HashMap ` in the function
/// name, label. The parameter is N.
const TABLE_ROWS: [(TableKind, &str, &str, &str); 6] = [
    (TableKind::Lookup, "table_lookup", "hit", "lookup hit, full"),
    (
        TableKind::Lookup,
        "table_lookup",
        "miss",
        "lookup miss, full",
    ),
    (
        TableKind::Lookup,
        "table_lookup",
        "hit, half full",
        "lookup hit, half full",
    ),
    (
        TableKind::Update,
        "table_update",
        "replace",
        "update: replace a record, full",
    ),
    (
        TableKind::Update,
        "table_update",
        "remove+insert",
        "update: remove + insert (pair), full",
    ),
    (
        TableKind::Update,
        "table_update",
        "remove+insert, half full",
        "update: remove + insert (pair), half full",
    ),
];

/// One benchmark, as criterion names it: group, function and optional parameter
/// (`BenchmarkId::new(function, parameter)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BenchId {
    /// The benchmark group.
    pub group: String,
    /// The function name.
    pub function: String,
    /// The parameter, if any.
    pub parameter: Option<String>,
}

impl BenchId {
    /// A benchmark without a parameter.
    pub fn new(group: &str, function: &str) -> Self {
        Self {
            group: group.to_owned(),
            function: function.to_owned(),
            parameter: None,
        }
    }

    /// A benchmark with a parameter.
    pub fn with_parameter(group: &str, function: &str, parameter: impl ToString) -> Self {
        Self {
            parameter: Some(parameter.to_string()),
            ..Self::new(group, function)
        }
    }

    /// The directory criterion keeps the benchmark's results in, relative to
    /// `target/criterion`: each part of the ID made safe as a file name.
    pub fn directory(&self) -> PathBuf {
        let mut dir = PathBuf::from(filename_safe(&self.group));
        dir.push(filename_safe(&self.function));
        if let Some(p) = &self.parameter {
            dir.push(filename_safe(p));
        }
        dir
    }
}

impl std::fmt::Display for BenchId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.group, self.function)?;
        if let Some(p) = &self.parameter {
            write!(f, "/{p}")?;
        }
        Ok(())
    }
}

/// A part of a benchmark ID as criterion 0.8 names its directory (`make_filename_safe` in its
/// `report.rs`): `?"/\*<>:|^` become `_`, and the name is cut to 64 bytes at a character
/// boundary. (Criterion also trims and lowercases on Windows; this report runs where the
/// benchmarks ran, and the names here are lowercase-insensitive anyway on Linux and macOS.)
pub fn filename_safe(part: &str) -> String {
    let mut out: String = part
        .chars()
        .map(|c| if "?\"/\\*<>:|^".contains(c) { '_' } else { c })
        .collect();
    let mut end = out.len().min(64);
    while !out.is_char_boundary(end) {
        end -= 1;
    }
    out.truncate(end);
    out
}

/// A benchmark's mean time and when criterion wrote it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Mean time per iteration, in nanoseconds.
    pub mean_ns: f64,
    /// When criterion wrote the estimate: when the benchmark ran.
    pub written: SystemTime,
}

/// Reads one benchmark's estimate from `criterion` (the `target/criterion` directory).
pub fn read_estimate(criterion: &Path, id: &BenchId) -> Result<Estimate, String> {
    let path = criterion.join(id.directory()).join("new/estimates.json");
    let shown = path.display();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{id}: {shown}: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{id}: {shown}: {e}"))?;
    let mean_ns = json["mean"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{id}: {shown}: no mean.point_estimate"))?;
    let written = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .map_err(|e| format!("{id}: {shown}: {e}"))?;
    Ok(Estimate { mean_ns, written })
}

/// What the report says about the run besides the estimates: the toolchain and the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// `rustc --version`.
    pub rustc: String,
    /// The machine: CPUs and the load when the report was written.
    pub machine: String,
}

/// Every benchmark the report reads.
pub fn needed() -> Vec<BenchId> {
    let mut ids = Vec::new();
    for (variant, _) in VARIANTS {
        for (group, function, _, _) in CODEC_ROWS {
            ids.push(BenchId::new(&format!("{group}/{variant}"), function));
        }
        for (group, function, _) in END_TO_END_ROWS {
            ids.push(BenchId::new(group, &format!("{function}/{variant}")));
        }
    }
    ids.push(BenchId::new("server", "decide only"));
    for (_, group, case, _) in TABLE_ROWS {
        for n in TABLE_SIZES {
            for side in ["MigrationTable", "HashMap"] {
                ids.push(BenchId::with_parameter(group, &format!("{side} {case}"), n));
            }
        }
    }
    ids
}

/// The estimates of one report, read whole.
struct Estimates(HashMap<BenchId, Estimate>);

impl Estimates {
    /// Reads every benchmark of [`needed`]; fails naming each one that is missing.
    fn read(criterion: &Path) -> Result<Self, String> {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        for id in needed() {
            match read_estimate(criterion, &id) {
                Ok(e) => {
                    found.insert(id, e);
                }
                Err(e) => missing.push(e),
            }
        }
        if missing.is_empty() {
            Ok(Self(found))
        } else {
            Err(format!(
                "{} of {} estimates missing or unreadable (run `{BENCH_COMMAND}`):\n  {}",
                missing.len(),
                missing.len() + found.len(),
                missing.join("\n  ")
            ))
        }
    }

    /// The mean of a benchmark that [`Estimates::read`] read.
    fn ns(&self, id: &BenchId) -> f64 {
        self.0.get(id).map_or(f64::NAN, |e| e.mean_ns)
    }

    fn codec(&self, group: &str, variant: &str, function: &str) -> f64 {
        self.ns(&BenchId::new(&format!("{group}/{variant}"), function))
    }

    fn end_to_end(&self, group: &str, function: &str, variant: &str) -> f64 {
        self.ns(&BenchId::new(group, &format!("{function}/{variant}")))
    }

    /// Time per key of one side of a table row at `n`.
    fn per_key(&self, group: &str, side: &str, case: &str, n: usize) -> f64 {
        self.ns(&BenchId::with_parameter(
            group,
            &format!("{side} {case}"),
            n,
        )) / KEYS_PER_ITER as f64
    }

    /// The dates on which the estimates of benchmarks whose group satisfies `groups` were
    /// written: one date, or the first and the last.
    fn dates(&self, groups: impl Fn(&str) -> bool) -> String {
        let days = self
            .0
            .iter()
            .filter(|(id, _)| groups(&id.group))
            .map(|(_, e)| utc_date(e.written));
        let (first, last) = (days.clone().min(), days.max());
        match (first, last) {
            (Some(a), Some(b)) if a == b => a,
            (Some(a), Some(b)) => format!("{a} to {b}"),
            _ => "date unknown".to_owned(),
        }
    }
}

/// The UTC date of `t`, `YYYY-MM-DD`.
pub fn utc_date(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A time with three significant figures, as criterion prints it.
pub fn time(ns: f64) -> String {
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

/// A time without its unit.
fn bare_time(ns: f64) -> String {
    time(ns).trim_end_matches(" ns").to_owned()
}

/// A ratio with two decimals below 10, one above.
pub fn ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.2}")
    }
}

/// The verdict on a target.
fn met(ok: bool) -> &'static str {
    if ok {
        "**yes**"
    } else {
        "**no**"
    }
}

/// The dated line that ends each section.
fn dated(what: &str, dates: &str, run: &RunInfo) -> String {
    format!(
        "Written by `{REPORT_COMMAND}` from the means of criterion's last run of {what} \
         (`{BENCH_COMMAND}`), measured {dates}, {}.\n",
        run.rustc
    )
}

fn codec_section(e: &Estimates, run: &RunInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| operation | {} | × | {} | × |\n|---|---:|---:|---:|---:|",
        VARIANTS[0].1, VARIANTS[1].1
    );
    for (group, function, label, times) in CODEC_ROWS {
        let _ = write!(out, "| {label} |");
        for (variant, _) in VARIANTS {
            let t = e.codec(group, variant, function);
            let x = if times {
                ratio(e.codec(group, variant, "xml quick-xml") / t)
            } else {
                String::new()
            };
            let _ = write!(out, " {} | {x} |", time(t));
        }
        out.push('\n');
    }
    let _ = write!(
        out,
        "\n× is how many times faster than quick-xml.\n\n{}",
        dated(
            "`encode/…` and `decode/…`",
            &e.dates(|g| g.starts_with("encode/") || g.starts_with("decode/")),
            run
        )
    );
    out
}

fn end_to_end_section(e: &Estimates, run: &RunInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| step, bytes to bytes | {} | × | {} | × |\n|---|---:|---:|---:|---:|",
        VARIANTS[0].1, VARIANTS[1].1
    );
    for (group, function, label) in END_TO_END_ROWS {
        let _ = write!(out, "| {label} |");
        for (variant, _) in VARIANTS {
            let t = e.end_to_end(group, function, variant);
            let xml = e.codec("decode", variant, "xml quick-xml");
            let _ = write!(out, " {} | {} |", time(t), ratio(xml / t));
        }
        out.push('\n');
    }
    let decide = e.ns(&BenchId::new("server", "decide only"));
    let server = e.end_to_end("server", END_TO_END_ROWS[0].1, VARIANTS[0].0);
    let _ = write!(
        out,
        "\n× is how many times faster the whole step is than quick-xml's parse of the \
         redirection's XML body alone (`decode/…/xml quick-xml`). Server A's migration table \
         holds {} members (full). `decide` alone, on the E2EE request: {} ({} of the server's \
         step {}).\n\n{}",
        crate::fixtures::END_TO_END_MEMBERS,
        time(decide),
        ratio(decide / server),
        VARIANTS[0].1,
        dated(
            "`server` and `client`",
            &e.dates(|g| g == "server" || g == "client"),
            run
        )
    );
    out
}

/// One table row's figures at each N: the table's and the `HashMap`'s time per key.
fn table_row(e: &Estimates, group: &str, case: &str) -> Vec<(usize, f64, f64)> {
    TABLE_SIZES
        .iter()
        .map(|&n| {
            (
                n,
                e.per_key(group, "MigrationTable", case, n),
                e.per_key(group, "HashMap", case, n),
            )
        })
        .collect()
}

fn table_section(e: &Estimates, run: &RunInfo) -> String {
    let mut out = String::new();
    let _ = write!(out, "| operation, per key |");
    for n in TABLE_SIZES {
        let _ = write!(out, " N = {n} |");
    }
    let _ = write!(out, "\n|---|");
    for _ in TABLE_SIZES {
        let _ = write!(out, "---:|");
    }
    out.push('\n');
    for (_, group, case, label) in TABLE_ROWS {
        let _ = write!(out, "| {label} |");
        for (_, table, map) in table_row(e, group, case) {
            let _ = write!(
                out,
                " {} / {} ns = {}× |",
                bare_time(table),
                bare_time(map),
                ratio(table / map)
            );
        }
        out.push('\n');
    }
    let _ = write!(
        out,
        "\n`MigrationTable / HashMap = ratio`, each the time of one iteration over \
         {KEYS_PER_ITER} keys spread over the table, divided by {KEYS_PER_ITER}; \"full\" is N \
         records of {MEMBER_STRING_BYTES} string bytes in `storage_len(N, \
         {MEMBER_STRING_BYTES})` bytes of storage, \"half full\" N / 2 records in the same.\n\n{}",
        dated(
            "`table_lookup` and `table_update`",
            &e.dates(|g| g.starts_with("table_")),
            run
        )
    );
    out
}

/// The worst ratio of a kind of table operation to `HashMap` (ratio, label, N), and its worst
/// growth in N: the table's slowest time per key over its time at the smallest N (growth,
/// label).
fn table_verdict(
    e: &Estimates,
    kind: TableKind,
) -> ((f64, &'static str, usize), (f64, &'static str)) {
    let mut worst = (0.0, "", 0);
    let mut growth = (0.0, "");
    for (_, group, case, label) in TABLE_ROWS.into_iter().filter(|r| r.0 == kind) {
        let row = table_row(e, group, case);
        for &(n, table, map) in &row {
            if table / map > worst.0 {
                worst = (table / map, label, n);
            }
        }
        let smallest = row.first().map_or(f64::NAN, |r| r.1);
        let slowest = row.iter().map(|r| r.1).fold(0.0, f64::max);
        if slowest / smallest > growth.0 {
            growth = (slowest / smallest, label);
        }
    }
    (worst, growth)
}

fn targets_section(e: &Estimates, run: &RunInfo) -> String {
    let mut out = String::from("| target | result | met? |\n|---|---|---|\n");
    let per_variant =
        |f: &dyn Fn(&str) -> f64| -> Vec<f64> { VARIANTS.iter().map(|(v, _)| f(v)).collect() };
    let codec_targets = [
        (
            format!("decode ≥ {CODEC_VS_XML_MIN}× faster than quick-xml"),
            per_variant(&|v| {
                e.codec("decode", v, "xml quick-xml") / e.codec("decode", v, "mcx-migrate")
            }),
            (|r: f64| r >= CODEC_VS_XML_MIN) as fn(f64) -> bool,
        ),
        (
            format!("decode, validated, ≤ {DECODE_VS_POSTCARD_MAX}× postcard alone"),
            per_variant(&|v| {
                e.codec("decode", v, "mcx-migrate")
                    / e.codec("decode", v, "postcard only, unvalidated")
            }),
            |r: f64| r <= DECODE_VS_POSTCARD_MAX,
        ),
        (
            format!("encode ≥ {CODEC_VS_XML_MIN}× faster than quick-xml"),
            per_variant(&|v| {
                e.codec("encode", v, "xml quick-xml") / e.codec("encode", v, "mcx-migrate")
            }),
            |r: f64| r >= CODEC_VS_XML_MIN,
        ),
    ];
    for (target, values, holds) in codec_targets {
        let shown = values
            .iter()
            .map(|r| format!("{}×", ratio(*r)))
            .collect::<Vec<_>>()
            .join(" / ");
        let _ = writeln!(
            out,
            "| {target} | {shown} ({} / {}) | {} |",
            VARIANTS[0].1,
            VARIANTS[1].1,
            met(values.iter().all(|r| holds(*r)))
        );
    }
    for (kind, target, max) in [
        (
            TableKind::Lookup,
            "lookup (hit, miss, half full)",
            LOOKUP_VS_HASH_MAP_MAX,
        ),
        (
            TableKind::Update,
            "replace and remove + insert (full, half full)",
            UPDATE_VS_HASH_MAP_MAX,
        ),
    ] {
        let ((worst, worst_label, worst_n), (growth, growth_label)) = table_verdict(e, kind);
        let _ = writeln!(
            out,
            "| {target} ≤ {max}× std `HashMap`, flat in N | worst {}×: {worst_label}, N = \
             {worst_n}; growth {}×: {growth_label} | {} |",
            ratio(worst),
            ratio(growth),
            met(worst <= max && growth <= FLAT_MAX)
        );
    }
    let sizes = TABLE_SIZES
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let smallest = TABLE_SIZES.first().copied().unwrap_or_default();
    let _ = write!(
        out,
        "\nThe table targets are checked at every N ({sizes}), for the table's worst operation \
         and N; \"growth\" is an operation's slowest N over N = {smallest}, the table's own \
         times, and \"flat in N\" holds when it is at most {FLAT_MAX}×. Computed by \
         `{REPORT_COMMAND}` from the estimates of the sections above, measured {}, {}; \
         machine: {}.\n",
        e.dates(|_| true),
        run.rustc,
        run.machine
    );
    out
}

/// The report: every generated section's name and content, in the page's order. Fails,
/// naming every missing estimate, when one is missing.
pub fn sections(criterion: &Path, run: &RunInfo) -> Result<Vec<(&'static str, String)>, String> {
    let e = Estimates::read(criterion)?;
    Ok(vec![
        (CODEC, codec_section(&e, run)),
        (END_TO_END, end_to_end_section(&e, run)),
        (TABLE, table_section(&e, run)),
        (TARGETS, targets_section(&e, run)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_criterions() {
        assert_eq!(
            BenchId::new("encode/with_sdi", "xml quick-xml").directory(),
            Path::new("encode_with_sdi/xml quick-xml")
        );
        assert_eq!(
            BenchId::new("server", "decode+decide+encode/with_sdi").directory(),
            Path::new("server/decode+decide+encode_with_sdi")
        );
        assert_eq!(
            BenchId::with_parameter("table_update", "HashMap remove+insert, half full", 4096)
                .directory(),
            Path::new("table_update/HashMap remove+insert, half full/4096")
        );
        assert_eq!(
            filename_safe("a?b:c|d^e*f<g>h\"i\\j"),
            "a_b_c_d_e_f_g_h_i_j"
        );
        assert_eq!(filename_safe(&"é".repeat(40)).len(), 64);
    }

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(utc_date(UNIX_EPOCH), "1970-01-01");
        let day = |d: u64| UNIX_EPOCH + std::time::Duration::from_secs(d * 86_400 + 86_399);
        assert_eq!(utc_date(day(11_016)), "2000-02-29");
        assert_eq!(utc_date(day(20_789)), "2026-12-02");
        assert_eq!(utc_date(day(20_818)), "2026-12-31");
        assert_eq!(utc_date(day(20_819)), "2027-01-01");
    }

    #[test]
    fn times_and_ratios_have_three_figures() {
        assert_eq!(time(4.061), "4.06 ns");
        assert_eq!(time(44.94), "44.9 ns");
        assert_eq!(time(262.4), "262 ns");
        assert_eq!(time(2013.2), "2,013 ns");
        assert_eq!(ratio(1.239), "1.24");
        assert_eq!(ratio(26.93), "26.9");
    }

    /// A criterion tree holding every estimate [`needed`] names, each `mean(id)`.
    fn fake_criterion(name: &str, mean: impl Fn(&BenchId) -> f64) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("mcx-bench-report-{}-{name}", std::process::id()));
        for id in needed() {
            let dir = root.join(id.directory()).join("new");
            std::fs::create_dir_all(&dir).unwrap();
            let json = format!(r#"{{"mean":{{"point_estimate":{}}}}}"#, mean(&id));
            std::fs::write(dir.join("estimates.json"), json).unwrap();
        }
        root
    }

    fn run() -> RunInfo {
        RunInfo {
            rustc: "rustc 1.95.0".into(),
            machine: "2 CPUs".into(),
        }
    }

    #[test]
    fn a_missing_estimate_fails_the_report_and_is_named() {
        let root = fake_criterion("missing", |_| 100.0);
        let gone = BenchId::with_parameter("table_lookup", "HashMap miss", 256);
        std::fs::remove_file(root.join(gone.directory()).join("new/estimates.json")).unwrap();
        let err = sections(&root, &run()).unwrap_err();
        assert!(
            err.contains("1 of ") && err.contains("table_lookup/HashMap miss/256"),
            "{err}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn verdicts_follow_the_figures() {
        // The table twice as slow as HashMap for lookups: the lookup target fails, the update
        // target (≤ 2×) holds.
        let root = fake_criterion("verdicts", |id| {
            let slow = id.group == "table_lookup" && id.function.starts_with("MigrationTable");
            match (id.function.as_str(), slow) {
                ("xml quick-xml", _) => 3000.0,
                (_, true) => 128.0,
                _ => 64.0,
            }
        });
        let all = sections(&root, &run()).unwrap();
        let names: Vec<_> = all.iter().map(|s| s.0).collect();
        assert_eq!(names, [CODEC, END_TO_END, TABLE, TARGETS]);
        let targets = &all[3].1;
        let line = |start: &str| {
            targets
                .lines()
                .find(|l| l.starts_with(start))
                .unwrap_or_else(|| panic!("no row {start:?} in\n{targets}"))
                .to_owned()
        };
        assert!(line("| lookup").contains("worst 2.00×") && line("| lookup").ends_with("**no** |"));
        assert!(
            line("| replace").contains("worst 1.00×") && line("| replace").ends_with("**yes** |")
        );
        assert!(line("| decode ≥").contains("46.9×") && line("| decode ≥").ends_with("**yes** |"));
        // Per key: the iteration's time over KEYS_PER_ITER keys.
        assert!(
            all[2]
                .1
                .contains("| lookup hit, full | 2.00 / 1.00 ns = 2.00× |"),
            "{}",
            all[2].1
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn an_operation_that_grows_with_n_is_not_flat() {
        // Updates at the largest N twice as slow as at the smallest: within 2× HashMap, not flat.
        let largest = TABLE_SIZES[TABLE_SIZES.len() - 1].to_string();
        let root = fake_criterion("growth", |id| {
            let grown = id.group == "table_update"
                && id.function.starts_with("MigrationTable")
                && id.parameter.as_deref() == Some(largest.as_str());
            if grown {
                128.0
            } else {
                64.0
            }
        });
        let all = sections(&root, &run()).unwrap();
        let replace = all[3]
            .1
            .lines()
            .find(|l| l.starts_with("| replace"))
            .unwrap();
        assert!(
            replace.contains("worst 2.00×") && replace.contains("growth 2.00×"),
            "{replace}"
        );
        assert!(replace.ends_with("**no** |"), "{replace}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
