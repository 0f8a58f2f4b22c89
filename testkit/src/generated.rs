//! Generated sections of README.md and docs/: figures that come from a definition (the C status
//! table) or a measurement (the size report) are written into the docs by the test that defines
//! or measures them, between the markers
//!
//! ```text
//! <!-- BEGIN generated: NAME -->
//! ...
//! <!-- END generated: NAME -->
//! ```
//!
//! [`check_section`] fails when a section differs from what the test computed (drift) and, with
//! `MCX_BLESS=1` in the environment, rewrites it instead.
//!
//! Used by the tests crate, `ffi/tests/docs.rs` and the benches' report
//! (`cargo run -p mcx-benches --example bench_report`).

use std::path::Path;

/// Set to `1` to rewrite generated sections instead of checking them.
pub const BLESS_VAR: &str = "MCX_BLESS";

/// The line that opens section `name`.
pub fn begin_marker(name: &str) -> String {
    format!("<!-- BEGIN generated: {name} -->")
}

/// The line that closes section `name`.
pub fn end_marker(name: &str) -> String {
    format!("<!-- END generated: {name} -->")
}

/// The byte range of section `name`'s content in `text`: after the begin marker's line, up to
/// the end marker. An error names what is wrong with the markers.
fn content_range(text: &str, name: &str) -> Result<std::ops::Range<usize>, String> {
    let (begin, end) = (begin_marker(name), end_marker(name));
    let find_once = |marker: &str| -> Result<usize, String> {
        let mut at = text.match_indices(marker).map(|(i, _)| i);
        match (at.next(), at.next()) {
            (Some(i), None) => Ok(i),
            (None, _) => Err(format!("no `{marker}` line")),
            (Some(_), Some(_)) => Err(format!("`{marker}` appears more than once")),
        }
    };
    let b = find_once(&begin)?;
    let e = find_once(&end)?;
    let start = text[b..]
        .find('\n')
        .map(|n| b + n + 1)
        .ok_or_else(|| format!("nothing follows `{begin}`"))?;
    if e < start {
        return Err(format!("`{end}` comes before `{begin}`"));
    }
    Ok(start..e)
}

/// The content of section `name` in `text`.
pub fn section<'a>(text: &'a str, name: &str) -> Result<&'a str, String> {
    content_range(text, name).map(|r| &text[r])
}

/// `text` with section `name`'s content replaced by `content` (which ends with a newline, one
/// is added if not).
pub fn replace_section(text: &str, name: &str, content: &str) -> Result<String, String> {
    let range = content_range(text, name)?;
    let mut out = String::with_capacity(text.len() + content.len());
    out.push_str(&text[..range.start]);
    out.push_str(content);
    if !content.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&text[range.end..]);
    Ok(out)
}

/// Checks that section `name` of `file` holds `content`; with `MCX_BLESS=1`, rewrites the
/// section instead (and the file only if it changed). `bless_command` is the command that
/// regenerates it, named in the error.
pub fn check_section(
    file: &Path,
    name: &str,
    content: &str,
    bless_command: &str,
) -> Result<(), String> {
    let bless = std::env::var(BLESS_VAR).is_ok_and(|v| v == "1");
    check_section_with(file, name, content, bless_command, bless)
}

/// [`check_section`] with the bless decision given.
pub fn check_section_with(
    file: &Path,
    name: &str,
    content: &str,
    bless_command: &str,
    bless: bool,
) -> Result<(), String> {
    // Tests of one binary run on threads, and two of them may bless sections of one file:
    // the read-modify-write of a file is one critical section, or one rewrite loses the other.
    static FILES: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = FILES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let shown = file.display();
    let text = std::fs::read_to_string(file).map_err(|e| format!("read {shown}: {e}"))?;
    let updated = replace_section(&text, name, content)
        .map_err(|e| format!("{shown}, generated section `{name}`: {e}"))?;
    if updated == text {
        return Ok(());
    }
    if bless {
        return std::fs::write(file, updated).map_err(|e| format!("write {shown}: {e}"));
    }
    let old = section(&text, name).unwrap_or_default();
    Err(format!(
        "{shown}: generated section `{name}` is out of date; rewrite it with\n    \
         {BLESS_VAR}=1 {bless_command}\n--- in the file\n{old}--- generated\n{content}"
    ))
}

/// `n` with its thousands separated by spaces (`11 296`), the way the docs write byte counts.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_separates_thousands_with_spaces() {
        assert_eq!(grouped(7), "7");
        assert_eq!(grouped(696), "696");
        assert_eq!(grouped(1_120), "1 120");
        assert_eq!(grouped(11_296), "11 296");
        assert_eq!(grouped(1_234_567), "1 234 567");
    }

    const DOC: &str = "# Title\n\nintro\n<!-- BEGIN generated: t -->\nold 1\nold 2\n<!-- END generated: t -->\nafter\n";

    #[test]
    fn replace_section_swaps_only_the_content_between_the_markers() {
        let new = replace_section(DOC, "t", "new\n").unwrap();
        assert_eq!(
            new,
            "# Title\n\nintro\n<!-- BEGIN generated: t -->\nnew\n<!-- END generated: t -->\nafter\n"
        );
        assert_eq!(section(&new, "t").unwrap(), "new\n");
        // Without a final newline, one is added so the end marker keeps its own line.
        assert_eq!(replace_section(DOC, "t", "new").unwrap(), new);
    }

    #[test]
    fn missing_repeated_or_misordered_markers_are_errors() {
        assert!(replace_section(DOC, "other", "x\n")
            .unwrap_err()
            .contains("no `<!-- BEGIN"));
        let twice = format!("{DOC}<!-- BEGIN generated: t -->\n");
        assert!(replace_section(&twice, "t", "x\n")
            .unwrap_err()
            .contains("more than once"));
        let reversed = "<!-- END generated: t -->\n<!-- BEGIN generated: t -->\n";
        assert!(replace_section(reversed, "t", "x\n")
            .unwrap_err()
            .contains("comes before"));
    }

    fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("mcx-generated-{}-{name}.md", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_drifted_section_fails_and_names_the_bless_command_without_touching_the_file() {
        let path = temp_file("drift", DOC);
        let err =
            check_section_with(&path, "t", "new\n", "cargo test --test x", false).unwrap_err();
        assert!(err.contains("out of date") && err.contains("MCX_BLESS=1 cargo test --test x"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), DOC);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn blessing_rewrites_the_section_and_a_current_section_passes() {
        let path = temp_file("bless", DOC);
        check_section_with(&path, "t", "new\n", "x", true).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(section(&text, "t").unwrap(), "new\n");
        assert!(text.starts_with("# Title\n") && text.ends_with("after\n"));
        check_section_with(&path, "t", "new\n", "x", false).unwrap();
        std::fs::remove_file(&path).unwrap();
    }
}
