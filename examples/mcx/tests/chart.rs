//! The sequence charts (`--format mermaid`, `--svg`) against the flow they draw: the arrows of
//! the chart are the messages the demonstration's text lists, in order, between the same
//! entities; and the committed SVG of the consecutive migration is what the tool writes.

mod common;
use common::*;

use std::path::Path;

/// (from, to, message name, step) of every message line of the demonstration's text:
/// `  7. [step 3           ] MC service server A → MC service client 1: private call redirection, 85 bytes`.
fn text_messages(text: &str) -> Vec<(String, String, String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let (num, rest) = line.split_once(". [")?;
            num.parse::<usize>().ok()?;
            let (step, rest) = rest.split_once("] ")?;
            let (ends, rest) = rest.split_once(": ")?;
            let (from, to) = ends.split_once(" → ")?;
            let (name, bytes) = rest.rsplit_once(", ")?;
            bytes.strip_suffix(" bytes")?;
            Some((from.into(), to.into(), name.into(), step.trim().into()))
        })
        .collect()
}

/// (from, to, first label line) of every arrow of a Mermaid chart, aliases resolved.
fn mermaid_arrows(chart: &str) -> Vec<(String, String, String)> {
    let mut names = std::collections::HashMap::new();
    let mut arrows = Vec::new();
    for line in chart.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("participant ") {
            let (alias, name) = rest.split_once(" as ").expect("participant P as name");
            names.insert(alias.to_owned(), name.to_owned());
        } else if let Some((ends, label)) = line.split_once(": ") {
            if let Some((from, to)) = ends.split_once("->>").or_else(|| ends.split_once("-x")) {
                let first = label.split("<br/>").next().unwrap_or_default();
                arrows.push((names[from].clone(), names[to].clone(), first.to_owned()));
            }
        }
    }
    arrows
}

fn scenario_names() -> Vec<String> {
    let help = stdout_ok(&["demo", "--help"]);
    let names: Vec<String> = help
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- ")?.split_once(':'))
        .map(|(n, _)| n.to_owned())
        .filter(|n| !["text", "mermaid"].contains(&n.as_str()))
        .collect();
    assert!(names.len() >= 10, "scenario names from --help: {names:?}");
    names
}

#[test]
fn every_scenario_s_chart_has_one_arrow_per_message_in_order_between_the_same_entities() {
    let names = scenario_names();
    let mut runs: Vec<Vec<&str>> = names
        .iter()
        .map(|n| vec!["demo", "--scenario", n.as_str()])
        .collect();
    runs.push(vec!["demo"]);
    for args in runs {
        let text = stdout_ok(&args);
        let expected = text_messages(&text);
        assert!(!expected.is_empty(), "no messages in {args:?}");
        let chart = stdout_ok(&[args.as_slice(), &["--format", "mermaid"]].concat());
        assert!(chart.starts_with("sequenceDiagram\n"), "{chart}");
        let arrows = mermaid_arrows(&chart);
        let expected: Vec<(String, String, String)> = expected
            .into_iter()
            .map(|(from, to, name, step)| (from, to, format!("{name} ({step})")))
            .collect();
        assert_eq!(arrows, expected, "chart of {args:?}:\n{chart}");
        // Mermaid prints the chart alone: none of the text output.
        assert!(!chart.contains("bytes"), "{chart}");
    }
}

#[test]
fn the_chart_has_a_lifeline_per_entity_and_notes_for_decisions_refusals_and_outcomes() {
    let chart = stdout_ok(&["demo", "--scenario", "refuse-loop", "--format", "mermaid"]);
    for entity in [
        "MC service client 1",
        "MC service client 2",
        "MC service server A",
        "MC service server B",
        "MC service server C",
        "MC system A",
        "MC system B",
        "MC system C",
    ] {
        assert!(
            chart.contains(&format!(" as {entity}\n")),
            "{entity}:\n{chart}"
        );
    }
    let notes: Vec<&str> = chart.lines().filter(|l| l.contains("Note over")).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("✗ refuses the redirection: redirection loop")),
        "{chart}"
    );
    assert!(
        notes.iter().any(|n| n.contains("migration table")),
        "{chart}"
    );
    let connected = stdout_ok(&[
        "demo",
        "--scenario",
        "redirect-mcptt",
        "--format",
        "mermaid",
    ]);
    assert!(
        connected.contains("Note over P4: ✓ receives the call at MC system B"),
        "{connected}"
    );
    let rejected = stdout_ok(&[
        "demo",
        "--scenario",
        "refuse-e2ee-without-sdi",
        "--format",
        "mermaid",
    ]);
    assert!(
        rejected.contains("Note over P1: ✗ rejects the private call"),
        "{rejected}"
    );
}

#[test]
fn the_svg_draws_the_same_arrows_and_is_self_contained() {
    let path = temp("chart", "redirect-e2ee.svg");
    let text = stdout_ok(&[
        "demo",
        "--scenario",
        "redirect-e2ee",
        "--svg",
        path.to_str().unwrap(),
    ]);
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(svg.ends_with("</svg>\n"));
    // Self-contained: no scripts, no external references.
    for banned in ["<script", "href", "@import", "url(http"] {
        assert!(!svg.contains(banned), "{banned} in the SVG");
    }
    let messages = text_messages(&text);
    assert_eq!(svg.matches("marker-end=").count(), messages.len());
    let labels: Vec<&str> = svg
        .lines()
        .filter(|l| l.contains("class=\"label\""))
        .filter_map(|l| l.split('>').nth(1)?.strip_suffix("</text"))
        .filter(|l| l.contains(" (") && !l.starts_with("sip:"))
        .collect();
    let expected: Vec<String> = messages
        .iter()
        .map(|(_, _, name, step)| format!("{name} ({step})"))
        .collect();
    assert_eq!(labels, expected);
    assert!(svg.contains("KMS URI https://kms.mc-b.example/kms"));
    // The text output is printed as without --svg.
    assert!(text.contains("[step 1"), "{text}");
}

#[test]
fn the_committed_consecutive_migration_svg_is_what_the_tool_writes() {
    let committed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/consecutive-migration.svg");
    let path = temp("chart", "consecutive-migration.svg");
    stdout_ok(&[
        "demo",
        "--scenario",
        "consecutive-migration",
        "--svg",
        path.to_str().unwrap(),
    ]);
    let generated = std::fs::read_to_string(&path).unwrap();
    if std::env::var_os("MCX_BLESS").is_some() {
        std::fs::write(&committed, &generated).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/consecutive-migration.svg is not what `mcx demo --scenario consecutive-migration \
         --svg FILE` writes: regenerate it with MCX_BLESS=1 cargo test -p mcx --test chart"
    );
}

#[test]
fn a_series_of_hex_messages_decodes_to_a_chart_with_guessed_ends() {
    let text = stdout_ok(&["demo", "--scenario", "redirect-mcptt"]);
    let hex: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("hex"))
        .map(|h| h.trim().to_owned())
        .collect();
    assert_eq!(hex.len(), text_messages(&text).len());
    let args: Vec<&str> = ["decode", "--format", "mermaid"]
        .into_iter()
        .chain(hex.iter().map(String::as_str))
        .collect();
    let chart = stdout_ok(&args);
    let arrows = mermaid_arrows(&chart);
    let client = "MC service client sip:user1@mc-a.example";
    let server_a = "MC service server mc-a.example";
    let server_b = "MC service server mc-b.example";
    let names: Vec<(&str, &str, &str)> = arrows
        .iter()
        .map(|(f, t, l)| (f.as_str(), t.as_str(), l.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (
                "MC system mc-b.example",
                server_b,
                "migration update (visitor registered)"
            ),
            (
                "MC system mc-b.example",
                server_a,
                "migration update (migrated)"
            ),
            (client, server_a, "private call request"),
            (server_a, client, "private call redirection"),
            (client, server_b, "private call request"),
        ]
    );
    // The same messages from a file, one per line.
    let file = temp("chart", "series.hex");
    std::fs::write(&file, hex.join("\n") + "\n").unwrap();
    let from_file = stdout_ok(&[
        "decode",
        "--format",
        "mermaid",
        "-f",
        file.to_str().unwrap(),
    ]);
    assert_eq!(from_file, chart);
}

#[test]
fn a_bad_message_in_a_series_is_a_lost_arrow_and_a_refusal_note_and_exit_status_1() {
    let out = mcx(&["decode", "--format", "mermaid", "0109", "0203"]);
    assert_eq!(out.status.code(), Some(1));
    let chart = String::from_utf8(out.stdout).unwrap();
    assert_eq!(chart.matches("-xP").count(), 2, "{chart}");
    assert!(chart.contains("Note over P0: ✗ cannot decode"), "{chart}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 of 2 message(s) did not decode"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // As text: each message under its own heading, then the same status.
    let text = mcx(&["decode", "0109", "0203"]);
    assert_eq!(text.status.code(), Some(1));
    let stdout = String::from_utf8(text.stdout).unwrap();
    assert!(
        stdout.contains("── message 1\n") && stdout.contains("── message 2\n"),
        "{stdout}"
    );
}
