//! Captures: `mcx demo --pcap` writes every message of the run, between the entities'
//! addresses, the bytes the library encoded; `mcx decode --pcap` reads them back.

mod common;
use common::*;

use std::path::Path;

use mcx_migrate::wire::{decode_frame, decode_message};

// The capture format, as the tool writes and reads it (plain std).
#[allow(dead_code)]
#[path = "../src/pcap.rs"]
mod pcap;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// (from, to, bytes) of every message of the demonstration's text output.
fn text_messages(text: &str) -> Vec<(String, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut ends = None;
    for line in text.lines().map(str::trim) {
        if let Some((_, rest)) = line.split_once("] ") {
            if let Some((e, _)) = rest.split_once(": ") {
                if let Some((from, to)) = e.split_once(" → ") {
                    ends = Some((from.to_owned(), to.to_owned()));
                }
            }
        } else if let Some(h) = line.strip_prefix("hex") {
            let (from, to) = ends.take().expect("a hex line after its message line");
            out.push((from, to, hex(h.trim())));
        }
    }
    out
}

fn demo_capture(path: &Path) -> (String, Vec<pcap::Packet>) {
    let text = stdout_ok(&["demo", "--pcap", path.to_str().unwrap()]);
    let packets = pcap::read(&std::fs::read(path).unwrap()).unwrap();
    (text, packets)
}

#[test]
fn the_demo_capture_holds_every_message_between_the_entities_addresses() {
    let path = temp("pcap", "demo.pcap");
    let (text, packets) = demo_capture(&path);
    let messages = text_messages(&text);
    assert!(messages.len() > 50, "{} messages", messages.len());
    assert_eq!(packets.len(), messages.len());
    for (i, (p, (from, to, bytes))) in packets.iter().zip(&messages).enumerate() {
        assert_eq!(Some(p.src), pcap::address_of(from), "packet {i}");
        assert_eq!(Some(p.dst), pcap::address_of(to), "packet {i}");
        assert_eq!(p.src_port, p.dst_port);
        let client_link =
            from.starts_with("MC service client") || to.starts_with("MC service client");
        let expected_port = if client_link {
            pcap::FRAME_PORT
        } else {
            pcap::BARE_PORT
        };
        assert_eq!(p.dst_port, expected_port, "packet {i}: {from} → {to}");
        // The bytes are the library's: the message itself, or its frame.
        let printed = decode_message(bytes).unwrap();
        // The frame is decoded in place, in a copy that outlives the message borrowed from it.
        let mut frame = p.payload.clone();
        let captured = if p.framed() {
            decode_frame(&mut frame).unwrap()
        } else {
            assert_eq!(&p.payload, bytes, "packet {i}");
            decode_message(&p.payload).unwrap()
        };
        assert_eq!(captured, printed, "packet {i}");
    }
    // One millisecond apart, from 2026-01-01T00:00:00Z: the same file every run.
    assert_eq!(
        packets[0].micros,
        u64::from(pcap::EPOCH_SECONDS) * 1_000_000
    );
    assert_eq!(packets[1].micros - packets[0].micros, 1_000);
    let again = temp("pcap", "demo-again.pcap");
    demo_capture(&again);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn decode_pcap_decodes_every_message_and_charts_the_same_flow_as_the_demo() {
    let path = temp("pcap", "scenario.pcap");
    let path = path.to_str().unwrap();
    let text = stdout_ok(&[
        "demo",
        "--scenario",
        "consecutive-migration",
        "--pcap",
        path,
    ]);
    let n = text_messages(&text).len();
    let decoded = stdout_ok(&["decode", "--pcap", path]);
    let headings: Vec<&str> = decoded
        .lines()
        .filter(|l| l.starts_with("── packet "))
        .collect();
    assert_eq!(headings.len(), n, "{decoded}");
    assert_eq!(
        headings[2],
        "── packet 3: MC service client 1 → MC service server A, UDP port 52381 (frame)"
    );
    assert!(!decoded.contains("cannot decode"), "{decoded}");
    // The chart of the capture: the demo's arrows, without the spec steps the capture cannot
    // know.
    let arrows = |chart: &str| -> Vec<String> {
        chart
            .lines()
            .filter(|l| l.contains("->>"))
            .map(|l| {
                let (ends, label) = l.trim().split_once(": ").unwrap();
                let name = label.split("<br/>").next().unwrap();
                // The demo's labels end with the step: "(step 1)", "(clause 10.6.3.3)", ...
                let name = match name.rsplit_once(" (") {
                    Some((n, step))
                        if ["step", "clause", "consecutive", "spoofed"]
                            .iter()
                            .any(|s| step.starts_with(s)) =>
                    {
                        n
                    }
                    _ => name,
                };
                format!("{ends}: {name}")
            })
            .collect()
    };
    let demo_chart = stdout_ok(&[
        "demo",
        "--scenario",
        "consecutive-migration",
        "--format",
        "mermaid",
    ]);
    let capture_chart = stdout_ok(&["decode", "--pcap", path, "--format", "mermaid"]);
    let (demo, capture) = (arrows(&demo_chart), arrows(&capture_chart));
    assert_eq!(demo.len(), n);
    // Lifelines are numbered in order of appearance in the capture, in the demo's fixed order:
    // compare through the names.
    let resolve = |chart: &str, arrows: Vec<String>| -> Vec<String> {
        let names: std::collections::HashMap<String, String> = chart
            .lines()
            .filter_map(|l| l.trim().strip_prefix("participant "))
            .map(|l| {
                let (a, n) = l.split_once(" as ").unwrap();
                (a.to_owned(), n.to_owned())
            })
            .collect();
        arrows
            .into_iter()
            .map(|a| {
                let (ends, name) = a.split_once(": ").unwrap();
                let (f, t) = ends.split_once("->>").unwrap();
                format!("{} → {}: {name}", names[f], names[t])
            })
            .collect()
    };
    assert_eq!(resolve(&capture_chart, capture), resolve(&demo_chart, demo));
}

#[test]
fn a_corrupted_packet_is_reported_and_the_others_still_decode() {
    let path = temp("pcap", "one-bad.pcap");
    let path = path.to_str().unwrap();
    stdout_ok(&["demo", "--scenario", "redirect-mcptt", "--pcap", path]);
    let mut packets = pcap::read(&std::fs::read(path).unwrap()).unwrap();
    let n = packets.len();
    for p in &mut packets {
        p.micros -= u64::from(pcap::EPOCH_SECONDS) * 1_000_000;
    }
    // The first packet, a bare migration update, loses its last byte.
    packets[0].payload.pop();
    std::fs::write(path, pcap::write(&packets).unwrap()).unwrap();
    let out = mcx(&["decode", "--pcap", path]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.matches("cannot decode").count(), 1, "{stdout}");
    assert_eq!(stdout.matches("── packet ").count(), n, "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        format!("error: 1 of {n} message(s) did not decode\n")
    );
}

#[test]
fn decode_pcap_names_a_file_that_is_not_a_classic_pcap() {
    let path = temp("pcap", "not.pcap");
    std::fs::write(&path, b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00").unwrap();
    let out = mcx(&["decode", "--pcap", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: not a pcap file (pcapng is not read: save as pcap)\n"
    );
}
