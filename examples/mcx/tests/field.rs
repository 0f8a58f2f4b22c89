//! The field tool, run as an engineer runs it: `mcx decode` and `mcx encode` on captured or
//! hand-built messages. Expected bytes and errors come from the library itself, so the tool is
//! checked against the wire format, not against a copy of it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use mcx_migrate::wire::decode_message;
use mcx_migrate::{
    McServiceIdRef, PrivateCallRedirection, RedirectionReason, SecurityDomainInfo, ServiceKind,
};

fn mcx_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcx"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mcx");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("mcx output")
}

fn mcx(args: &[&str]) -> Output {
    mcx_with_stdin(args, b"")
}

fn stdout_ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "mcx failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn id(s: &str) -> McServiceIdRef<'_> {
    McServiceIdRef::new(s).unwrap()
}

/// The step 3 redirection of Fig. 10.16.y.3-1 with end-to-end encryption.
fn redirection(e2ee: bool) -> PrivateCallRedirection<'static> {
    PrivateCallRedirection {
        service_kind: ServiceKind::McvideoPrivateCall,
        calling_party: id("sip:user1@mc-a.example"),
        target_primary: id("sip:user2@mc-a.example"),
        target_migrated: id("sip:visitor-0042@mc-b.example"),
        e2ee_required: e2ee,
        security_domain_info: e2ee
            .then(|| SecurityDomainInfo::new("https://kms.mc-b.example/kms").unwrap()),
        reason: Some(RedirectionReason::TargetMigrated),
    }
}

fn encoded(r: &PrivateCallRedirection<'_>) -> Vec<u8> {
    let mut buf = [0u8; PrivateCallRedirection::MAX_ENCODED_LEN];
    let n = r.encode(&mut buf).unwrap();
    buf[..n].to_vec()
}

fn squash(s: &str) -> String {
    s.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn decode_prints_every_information_element_of_a_redirection() {
    let bytes = encoded(&redirection(true));
    let out = squash(&stdout_ok(mcx(&["decode", &hex(&bytes)])));
    for line in [
        format!(
            "private call redirection: {} bytes (format version 2, message type 2)",
            bytes.len()
        ),
        "service MCVideo private call".into(),
        "MCVideo ID of the calling party (M) sip:user1@mc-a.example".into(),
        "MCVideo ID of the target from its primary MC system (M) sip:user2@mc-a.example".into(),
        "MCVideo ID of the target from the migrated MC system (M) sip:visitor-0042@mc-b.example"
            .into(),
        "end-to-end encryption required".into(),
        "security domain information (O) KMS URI https://kms.mc-b.example/kms".into(),
        "redirection reason (O) target migrated to a partner MC system".into(),
        format!("hex {}", hex(&bytes)),
    ] {
        assert!(out.contains(&line), "{line:?} missing from:\n{out}");
    }
}

#[test]
fn decode_json_prints_the_wire_view_as_json() {
    let bytes = encoded(&redirection(true));
    let out = stdout_ok(mcx(&["decode", "--json", &hex(&bytes)]));
    let value: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let r = &value["PrivateCallRedirection"];
    assert_eq!(r["service_kind"], "McvideoPrivateCall");
    assert_eq!(r["calling_party"], "sip:user1@mc-a.example");
    assert_eq!(r["target_primary"], "sip:user2@mc-a.example");
    assert_eq!(r["target_migrated"], "sip:visitor-0042@mc-b.example");
    assert_eq!(r["e2ee_required"], true);
    assert_eq!(
        r["security_domain_info"]["kms_uri"],
        "https://kms.mc-b.example/kms"
    );
    assert_eq!(r["reason"], "TargetMigrated");
}

#[test]
fn decode_accepts_captured_hex_with_separators_and_files_raw_or_hex() {
    let bytes = encoded(&redirection(false));
    let spaced: String = bytes.iter().map(|b| format!("{b:02X} ")).collect();
    let expected = stdout_ok(mcx(&["decode", &hex(&bytes)]));
    assert_eq!(
        stdout_ok(mcx(&["decode", &format!("0x{spaced}")])),
        expected
    );

    let dir = std::env::temp_dir().join(format!("mcx-field-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let raw = dir.join("capture.bin");
    let text = dir.join("capture.hex");
    std::fs::write(&raw, &bytes).unwrap();
    std::fs::write(&text, format!("{spaced}\n")).unwrap();
    for file in [&raw, &text] {
        let out = mcx(&["decode", "-f", file.to_str().unwrap()]);
        assert_eq!(stdout_ok(out), expected, "{}", file.display());
    }
    assert_eq!(
        stdout_ok(mcx_with_stdin(&["decode", "-f", "-"], &bytes)),
        expected
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A bad message prints the library's exact decode error and the tool exits non-zero.
#[test]
fn decode_of_a_bad_message_prints_the_exact_decode_error_and_fails() {
    let valid = encoded(&redirection(false));
    // E2EE flag set without security domain information: the NOTE of Table 10.16.y.2-1.
    let mut no_sdi = valid.clone();
    let flag = no_sdi.len() - 4; // e2ee flag, SDI option tag, reason option tag, reason
    no_sdi[flag] = 1;
    let mut trailing = valid.clone();
    trailing.push(0);
    for bad in [
        vec![],
        vec![0x02],
        vec![0x02, 0x01],
        vec![0x02, 0x09],
        // Format version 1 is not one this build speaks.
        vec![0x01, 0x02],
        valid[..valid.len() - 1].to_vec(),
        trailing,
        no_sdi,
    ] {
        let error = decode_message(&bad).expect_err("a bad message");
        let out = if bad.is_empty() {
            mcx_with_stdin(&["decode", "-f", "-"], &[])
        } else {
            mcx(&["decode", &hex(&bad)])
        };
        assert_eq!(out.status.code(), Some(1), "{bad:02x?}");
        assert!(out.stdout.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("error: cannot decode: {error} (DecodeError::{error:?})\n"),
            "{bad:02x?}"
        );
    }
}

#[test]
fn decode_of_bad_hex_names_the_problem_and_fails() {
    let out = mcx(&["decode", "01g2"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: invalid hex: not a hex digit: 'g'\n"
    );
}

#[test]
fn encode_then_decode_round_trips_through_the_cli() {
    let bytes = encoded(&redirection(true));
    let json = stdout_ok(mcx(&["decode", "--json", &hex(&bytes)]));
    let hex_out = stdout_ok(mcx_with_stdin(&["encode", "--json", "-"], json.as_bytes()));
    assert_eq!(hex_out.trim(), hex(&bytes));
    let again = stdout_ok(mcx(&["decode", "--json", hex_out.trim()]));
    assert_eq!(again, json);
}

#[test]
fn encode_frame_gives_a_cobs_frame_that_decode_frame_reads() {
    let json = r#"{"MigrationUpdate": {"VisitorDeparted": {"local_id": "sip:visitor-0042@mc-b.example"}}}"#;
    let plain = stdout_ok(mcx_with_stdin(&["encode", "--json", "-"], json.as_bytes()));
    let frame = stdout_ok(mcx_with_stdin(
        &["encode", "--frame", "--json", "-"],
        json.as_bytes(),
    ));
    assert!(frame.trim().ends_with("00"), "{frame}");
    assert_ne!(plain, frame);
    let out = squash(&stdout_ok(mcx(&["decode", "--frame", frame.trim()])));
    assert!(out.contains("migration update (visitor departed)"), "{out}");
    assert!(
        out.contains("MC service ID assigned here sip:visitor-0042@mc-b.example"),
        "{out}"
    );
    assert!(
        out.contains("bytes in a COBS frame, CRC-32C checked"),
        "{out}"
    );
    // The bare message read as a frame is not a frame.
    let out = mcx(&["decode", "--frame", plain.trim()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn decode_frame_reports_a_corrupted_frame_as_a_crc_mismatch() {
    let json = r#"{"MigrationUpdate": {"VisitorDeparted": {"local_id": "sip:visitor-0042@mc-b.example"}}}"#;
    let frame = stdout_ok(mcx_with_stdin(
        &["encode", "--frame", "--json", "-"],
        json.as_bytes(),
    ));
    let frame = frame.trim();
    let mut bytes: Vec<u8> = (0..frame.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&frame[i..i + 2], 16).unwrap())
        .collect();
    // A bit of the partner-assigned ID flipped on the link ('v' becomes 'w').
    let at = bytes.windows(7).position(|w| w == b"visitor").unwrap();
    bytes[at] ^= 0x01;
    let out = mcx(&["decode", "--frame", &hex(&bytes)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: cannot decode: frame CRC mismatch: corrupted on the link \
         (DecodeError::FrameCheckMismatch)\n"
    );
}

#[test]
fn encode_refuses_a_message_that_breaks_the_information_element_rules() {
    let json = r#"{"PrivateCallRedirection": {"service_kind": "McpttPrivateCall",
        "calling_party": "sip:user1@mc-a.example", "target_primary": "sip:user2@mc-a.example",
        "target_migrated": "sip:visitor-0042@mc-b.example", "e2ee_required": true,
        "security_domain_info": null, "reason": null}}"#;
    let out = mcx_with_stdin(&["encode", "--json", "-"], json.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: invalid message: end-to-end encryption required but no security domain \
         information (DecodeError::MissingSecurityDomainInfo)\n"
    );
    let out = mcx_with_stdin(&["encode", "--json", "-"], br#"{"Hello": {}}"#);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown message type \"Hello\""));
}

#[test]
fn demo_hex_decodes_with_the_field_tool() {
    let demo = stdout_ok(mcx(&["demo", "--scenario", "redirect-e2ee"]));
    let step3 = demo.find("[step 3").expect("step 3");
    let hex_line = demo[step3..]
        .lines()
        .find_map(|l| l.trim().strip_prefix("hex"))
        .expect("hex line")
        .trim();
    let out = squash(&stdout_ok(mcx(&["decode", hex_line])));
    assert!(out.contains("private call redirection"), "{out}");
    assert!(out.contains("security domain information (O) KMS URI https://kms.mc-b.example/kms"));
}
