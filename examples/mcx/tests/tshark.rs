//! The Wireshark dissector (wireshark/mcx_migrate.lua), run by the real tool: Debian's `tshark`
//! dissects the demonstration's capture and a capture of malformed messages, and every field it
//! shows is checked against the library's own decoder; every message the library refuses is
//! shown as the matching expert info, never a Lua error.
//!
//! tshark must be installed (`apt-get install tshark`; the repository's test command installs
//! it): without it this test fails rather than skips. Run as root, Debian's tshark runs Lua
//! scripts given with `-X lua_script:` because its /etc/wireshark/init.lua sets
//! `run_user_scripts_when_superuser = true`; the test checks the dissector is loaded and says
//! so if it is not (docs/wireshark.md).

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mcx_migrate::wire::{
    decode_frame, decode_message, encode, encode_frame, FORMAT_VERSION, MAX_FRAME_LEN,
};
use mcx_migrate::{
    DecodeError, McServiceIdRef, Message, Migration, MigrationUpdate, PrivateCallRedirection,
    PrivateCallRequest, RedirectionReason, SecurityDomainInfo, ServiceKind,
};
use mcx_testkit::reference::{cobs_decode, cobs_encode, crc32c};
use serde_json::Value;

// The capture format, as the tool writes and reads it (plain std).
#[allow(dead_code)]
#[path = "../src/pcap.rs"]
mod pcap;

fn dissector() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wireshark/mcx_migrate.lua")
}

/// Every field the dissector defines, and its expert infos: tshark prints each that a packet
/// holds.
const FIELDS: &[&str] = &[
    "mcx.version",
    "mcx.type",
    "mcx.service_kind",
    "mcx.calling_party",
    "mcx.target",
    "mcx.target_primary",
    "mcx.target_migrated",
    "mcx.e2ee_required",
    "mcx.sdi.present",
    "mcx.sdi.kms_uri",
    "mcx.reason.present",
    "mcx.reason",
    "mcx.update",
    "mcx.update.primary_id",
    "mcx.update.partner_system",
    "mcx.update.partner_id",
    "mcx.update.local_id",
    "mcx.update.primary_system",
    "mcx.length",
    "mcx_frame.encoded_len",
    "mcx_frame.decoded_len",
    "mcx_frame.crc",
    "mcx_frame.crc.computed",
    "mcx_frame.crc.good",
];

const EXPERTS: &[&str] = &[
    "mcx.expert.unsupported_version",
    "mcx.expert.unknown_type",
    "mcx.expert.truncated",
    "mcx.expert.invalid_utf8",
    "mcx.expert.bad_varint",
    "mcx.expert.bad_value",
    "mcx.expert.trailing_bytes",
    "mcx.expert.e2ee_without_sdi",
    "mcx.expert.dissector_error",
    "mcx_frame.expert.bad_cobs",
    "mcx_frame.expert.bad_crc",
    "mcx_frame.expert.trailing_bytes",
    "mcx_frame.expert.dissector_error",
];

fn tshark(args: &[&str]) -> std::process::Output {
    match Command::new("tshark").args(args).output() {
        Ok(out) => out,
        Err(e) => panic!(
            "cannot run tshark ({e}): install it with `apt-get install tshark` (Debian); the \
             repository's test command installs it when it is missing"
        ),
    }
}

fn lua_script(script: &Path) -> String {
    format!("lua_script:{}", script.display())
}

/// Checks tshark loads the dissector (it refuses Lua scripts as root unless its init.lua
/// allows them).
fn assert_dissector_loads(script: &Path) {
    let out = tshark(&["-G", "protocols", "-X", &lua_script(script)]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.lines().any(|l| l.split('\t').nth(2) == Some("mcx"))
            && stdout
                .lines()
                .any(|l| l.split('\t').nth(2) == Some("mcx_frame")),
        "tshark did not load {}: is Lua enabled (enable_lua) and, as root, \
         run_user_scripts_when_superuser = true in /etc/wireshark/init.lua? stderr:\n{stderr}",
        script.display()
    );
}

/// The fields and expert infos tshark shows for each packet of `file`, by packet.
fn dissect(file: &Path) -> Vec<BTreeMap<String, Vec<String>>> {
    dissect_with(&dissector(), file)
}

/// As [`dissect`], with another copy of the dissector.
fn dissect_with(script: &Path, file: &Path) -> Vec<BTreeMap<String, Vec<String>>> {
    assert_dissector_loads(script);
    let script = lua_script(script);
    let mut args = vec![
        "-n",
        "-X",
        &script,
        "-r",
        file.to_str().unwrap(),
        "-T",
        "json",
    ];
    for f in ["frame.number", "_ws.expert.message"]
        .iter()
        .chain(FIELDS)
        .chain(EXPERTS)
    {
        args.extend(["-e", f]);
    }
    let out = tshark(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tshark failed: {stderr}");
    assert!(
        !stderr.contains("Lua"),
        "tshark reports a Lua problem: {stderr}"
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("tshark -T json output");
    json.as_array()
        .expect("an array of packets")
        .iter()
        .enumerate()
        .map(|(i, packet)| {
            let layers = packet["_source"]["layers"].as_object().expect("layers");
            assert_eq!(
                layers["frame.number"][0].as_str(),
                Some((i + 1).to_string().as_str())
            );
            layers
                .iter()
                .filter(|(k, _)| k.as_str() != "frame.number")
                .map(|(k, v)| {
                    let values = v
                        .as_array()
                        .expect("field values")
                        .iter()
                        .map(|s| s.as_str().expect("a string").to_owned())
                        .collect();
                    (k.clone(), values)
                })
                .collect()
        })
        .collect()
}

/// What tshark must show for one packet, from the library's decoder.
#[derive(Debug, Default, PartialEq, Eq)]
struct Expected {
    fields: BTreeMap<String, Vec<String>>,
    /// The expert infos any one of which stands for the library's error (exactly one is shown).
    expert: Vec<&'static str>,
}

impl Expected {
    fn set(&mut self, field: &str, value: impl ToString) {
        self.fields
            .entry(field.to_owned())
            .or_default()
            .push(value.to_string());
    }

    fn string(&mut self, field: &str, value: impl AsRef<str>) {
        let value = value.as_ref();
        self.set("mcx.length", value.len());
        self.set(field, value);
    }

    fn sdi(&mut self, sdi: &Option<SecurityDomainInfo<'_>>) {
        self.set("mcx.sdi.present", u8::from(sdi.is_some()));
        if let Some(sdi) = sdi {
            self.string("mcx.sdi.kms_uri", sdi.kms_uri);
        }
    }
}

/// The fields of a message the library decoded, in the dissector's names; booleans as tshark
/// prints them (1/0), enums as their variant index.
fn expected_fields(message: &Message<'_>, e: &mut Expected) {
    e.set("mcx.version", FORMAT_VERSION);
    match message {
        Message::Request(r) => {
            e.set("mcx.type", 1);
            e.set("mcx.service_kind", r.service_kind as u32);
            e.string("mcx.calling_party", r.calling_party);
            e.string("mcx.target", r.target);
            e.set("mcx.e2ee_required", u8::from(r.e2ee_required));
            e.sdi(&r.security_domain_info);
        }
        Message::Redirection(r) => {
            e.set("mcx.type", 2);
            e.set("mcx.service_kind", r.service_kind as u32);
            e.string("mcx.calling_party", r.calling_party);
            e.string("mcx.target_primary", r.target_primary);
            e.string("mcx.target_migrated", r.target_migrated);
            e.set("mcx.e2ee_required", u8::from(r.e2ee_required));
            e.sdi(&r.security_domain_info);
            e.set("mcx.reason.present", u8::from(r.reason.is_some()));
            if let Some(reason) = r.reason {
                e.set("mcx.reason", reason as u32);
            }
        }
        Message::MigrationUpdate(u) => {
            e.set("mcx.type", 3);
            match u {
                MigrationUpdate::Migrated(Migration {
                    primary_id,
                    partner_system,
                    partner_id,
                    security_domain_info,
                })
                | MigrationUpdate::MovedOn(Migration {
                    primary_id,
                    partner_system,
                    partner_id,
                    security_domain_info,
                }) => {
                    let moved_on = matches!(u, MigrationUpdate::MovedOn(_));
                    e.set("mcx.update", u8::from(moved_on));
                    e.string("mcx.update.primary_id", primary_id);
                    e.string("mcx.update.partner_system", partner_system);
                    e.string("mcx.update.partner_id", partner_id);
                    e.sdi(security_domain_info);
                }
                MigrationUpdate::Returned { primary_id } => {
                    e.set("mcx.update", 2);
                    e.string("mcx.update.primary_id", primary_id);
                }
                MigrationUpdate::VisitorRegistered {
                    local_id,
                    primary_id,
                    primary_system,
                    primary_security_domain_info,
                } => {
                    e.set("mcx.update", 3);
                    e.string("mcx.update.local_id", local_id);
                    e.string("mcx.update.primary_id", primary_id);
                    e.string("mcx.update.primary_system", primary_system);
                    e.sdi(primary_security_domain_info);
                }
                MigrationUpdate::VisitorDeparted { local_id } => {
                    e.set("mcx.update", 4);
                    e.string("mcx.update.local_id", local_id);
                }
            }
        }
    }
}

/// The dissector's expert infos for a library error. By the variant's name, so that the
/// mapping names errors of the frame format (FrameCheckMismatch) whatever the library build.
fn experts_for(error: &DecodeError) -> Vec<&'static str> {
    let name = format!("{error:?}");
    let name = name.split('(').next().unwrap_or_default();
    match name {
        "Truncated" => vec!["mcx.expert.truncated"],
        "UnsupportedVersion" => vec!["mcx.expert.unsupported_version"],
        "UnknownMessageType" => vec!["mcx.expert.unknown_type"],
        "InvalidUtf8" => vec!["mcx.expert.invalid_utf8"],
        "Malformed" => vec!["mcx.expert.bad_varint", "mcx.expert.bad_value"],
        "TrailingBytes" => vec![
            "mcx.expert.trailing_bytes",
            "mcx_frame.expert.trailing_bytes",
        ],
        "MissingSecurityDomainInfo" => vec!["mcx.expert.e2ee_without_sdi"],
        "BadFrame" => vec!["mcx_frame.expert.bad_cobs"],
        "FrameCheckMismatch" => vec!["mcx_frame.expert.bad_crc"],
        other => panic!("no expert info of the dissector stands for DecodeError::{other}"),
    }
}

/// A frame around bytes that need not be a valid message, with their correct CRC-32C.
fn frame_of(message: &[u8]) -> Vec<u8> {
    let mut data = message.to_vec();
    data.extend_from_slice(&crc32c(message).to_le_bytes());
    cobs_encode(&data)
}

/// What tshark must show for a packet's payload, from the library.
fn expected(payload: &[u8], framed: bool) -> Expected {
    let mut e = Expected::default();
    let mut scratch = payload.to_vec();
    let decoded = if framed {
        decode_frame(&mut scratch)
    } else {
        decode_message(payload)
    };
    match decoded {
        Ok(message) => {
            expected_fields(&message, &mut e);
            if framed {
                let data = cobs_decode(payload);
                let (message, crc) = data.split_at(data.len() - 4);
                let crc = format!("0x{:08x}", u32::from_le_bytes(crc.try_into().unwrap()));
                assert_eq!(crc, format!("0x{:08x}", crc32c(message)));
                let encoded_len = payload
                    .iter()
                    .position(|&b| b == 0)
                    .unwrap_or(payload.len());
                e.set("mcx_frame.encoded_len", encoded_len);
                e.set("mcx_frame.decoded_len", data.len());
                e.set("mcx_frame.crc", &crc);
                e.set("mcx_frame.crc.computed", &crc);
                e.set("mcx_frame.crc.good", 1);
            }
        }
        Err(error) => e.expert = experts_for(&error),
    }
    e
}

/// Compares tshark's view of each packet with the library's.
fn check(file: &Path, payloads: &[(Vec<u8>, bool, &str)]) {
    let dissected = dissect(file);
    assert_eq!(dissected.len(), payloads.len());
    for (i, (shown, (payload, framed, what))) in dissected.iter().zip(payloads).enumerate() {
        let want = expected(payload, *framed);
        let context = format!("packet {} ({what}): {shown:#?}", i + 1);
        for message in shown.get("_ws.expert.message").into_iter().flatten() {
            assert!(!message.contains("Lua"), "{context}");
        }
        let experts: Vec<&str> = EXPERTS
            .iter()
            .copied()
            .filter(|x| shown.contains_key(*x))
            .collect();
        if want.expert.is_empty() {
            assert_eq!(experts, Vec::<&str>::new(), "{context}");
            let fields: BTreeMap<String, Vec<String>> = shown
                .iter()
                .filter(|(k, _)| FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            assert_eq!(fields, want.fields, "{context}");
        } else {
            assert_eq!(experts.len(), 1, "one expert info expected: {context}");
            assert!(
                want.expert.contains(&experts[0]),
                "expected one of {:?}: {context}",
                want.expert
            );
            if *framed && experts[0] == "mcx_frame.expert.bad_crc" {
                if let Some(good) = shown.get("mcx_frame.crc.good") {
                    assert_eq!(good, &["0"], "{context}");
                }
            }
        }
    }
}

#[test]
fn tshark_shows_every_field_of_the_demo_capture_as_the_library_decodes_it() {
    let path = temp("tshark", "demo.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_mcx"))
        .args(["demo", "--pcap", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let packets = pcap::read(&std::fs::read(&path).unwrap()).unwrap();
    let payloads: Vec<(Vec<u8>, bool, &str)> = packets
        .into_iter()
        .map(|p| {
            let framed = p.framed();
            (p.payload, framed, "demo")
        })
        .collect();
    assert!(payloads.iter().any(|p| p.1) && payloads.iter().any(|p| !p.1));
    check(&path, &payloads);
}

fn id(s: &str) -> McServiceIdRef<'_> {
    McServiceIdRef::new(s).unwrap()
}

fn encoded<'a, M: mcx_migrate::wire::WireMessage<'a>>(m: &M) -> Vec<u8> {
    let mut buf = vec![0; MAX_FRAME_LEN];
    let n = encode(m, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn framed<'a, M: mcx_migrate::wire::WireMessage<'a>>(m: &M) -> Vec<u8> {
    let mut buf = vec![0; MAX_FRAME_LEN];
    let n = encode_frame(m, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// Positions of a frame's COBS code bytes (those a corruption must not hit to stay COBS).
fn code_positions(frame: &[u8]) -> Vec<usize> {
    let mut at = 0;
    let mut codes = Vec::new();
    while at < frame.len() && frame[at] != 0 {
        codes.push(at);
        at += usize::from(frame[at]);
    }
    codes
}

#[test]
fn tshark_shows_each_malformed_message_as_the_library_refuses_it() {
    let request = PrivateCallRequest {
        service_kind: ServiceKind::McvideoPrivateCall,
        calling_party: id("sip:user1@mc-a.example"),
        target: id("sip:visitor-0042@mc-b.example"),
        e2ee_required: true,
        security_domain_info: Some(
            SecurityDomainInfo::new("https://kms.mc-b.example/kms").unwrap(),
        ),
    };
    let redirection = PrivateCallRedirection {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: id("sip:user1@mc-a.example"),
        target_primary: id("sip:user2@mc-a.example"),
        target_migrated: id("sip:visitor-0042@mc-b.example"),
        e2ee_required: false,
        security_domain_info: None,
        reason: Some(RedirectionReason::TargetNoLongerServed),
    };
    let update = MigrationUpdate::VisitorDeparted {
        local_id: id("sip:visitor-0042@mc-b.example"),
    };
    let req = encoded(&request);
    let red = encoded(&redirection);
    let upd = encoded(&update);
    // Offsets in the request: version, type, service kind, then the calling party's length.
    let calling_len_at = 3;
    let with = |bytes: &[u8], f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = bytes.to_vec();
        f(&mut b);
        b
    };
    // The redirection's E2EE flag: after the envelope, the service kind and three strings.
    let mut e2ee_at = 3;
    for _ in 0..3 {
        e2ee_at += 1 + usize::from(red[e2ee_at]);
    }
    assert_eq!(red[e2ee_at], 0, "the E2EE flag of {red:02x?}");
    let good_frame = framed(&redirection);
    let codes = code_positions(&good_frame);
    let data_at = (1..good_frame.len() - 1)
        .find(|i| !codes.contains(i) && good_frame[*i] != 1)
        .unwrap();
    // No empty datagram: Wireshark's UDP dissector hands none to a subdissector.
    let cases: Vec<(Vec<u8>, bool, &str)> = vec![
        (req.clone(), false, "valid request"),
        (red.clone(), false, "valid redirection"),
        (upd.clone(), false, "valid update"),
        (vec![FORMAT_VERSION], false, "version only"),
        (
            req[..req.len() - 1].to_vec(),
            false,
            "truncated by one byte",
        ),
        (
            req[..calling_len_at + 5].to_vec(),
            false,
            "truncated inside a string",
        ),
        (with(&req, &|b| b[0] = 1), false, "version 1"),
        (with(&req, &|b| b[0] = 0xFF), false, "version 255"),
        (with(&req, &|b| b[1] = 9), false, "unknown type 9"),
        (with(&req, &|b| b[1] = 0), false, "unknown type 0"),
        (
            with(&req, &|b| b[calling_len_at + 2] = 0xFF),
            false,
            "invalid UTF-8",
        ),
        (
            with(&req, &|b| {
                let len = b[calling_len_at];
                b.splice(calling_len_at..=calling_len_at, [len | 0x80, 0x00]);
            }),
            false,
            "over-long varint",
        ),
        (
            with(&req, &|b| {
                b.splice(2..=2, [0xFF, 0xFF, 0xFF, 0xFF, 0x7F]);
            }),
            false,
            "varint over 32 bits",
        ),
        (
            with(&req, &|b| {
                b.splice(2..=2, [0x81, 0x80, 0x80, 0x80, 0x80, 0x00]);
            }),
            false,
            "varint over 5 bytes",
        ),
        (with(&req, &|b| b[2] = 3), false, "unknown service kind"),
        (
            with(&upd, &|b| b[2] = 5),
            false,
            "unknown migration update variant",
        ),
        (with(&red, &|b| b[e2ee_at] = 2), false, "bool 2"),
        (with(&red, &|b| b[e2ee_at + 1] = 2), false, "option tag 2"),
        (
            with(&red, &|b| *b.last_mut().unwrap() = 2),
            false,
            "unknown redirection reason",
        ),
        (
            with(&red, &|b| b[e2ee_at] = 1),
            false,
            "E2EE without security domain information",
        ),
        (with(&upd, &|b| b.push(0)), false, "trailing byte"),
        (good_frame.clone(), true, "valid frame"),
        (
            good_frame[..good_frame.len() - 1].to_vec(),
            true,
            "valid frame without its delimiter",
        ),
        (framed(&request), true, "valid frame of a request"),
        (framed(&update), true, "valid frame of an update"),
        (
            with(&good_frame, &|b| b[data_at] ^= 0x01),
            true,
            "bad CRC (one bit flipped)",
        ),
        (vec![0], true, "delimiter only"),
        (vec![0x02, 0x05, 0x00], true, "too short for a CRC"),
        (
            vec![0x20, 0x02, 0x01, 0x00],
            true,
            "bad COBS (block past the end)",
        ),
        (
            with(&good_frame, &|b| b.extend([1, 2])),
            true,
            "bytes after the delimiter",
        ),
        (
            frame_of(&with(&req, &|b| b[1] = 7)),
            true,
            "framed unknown type",
        ),
        (
            frame_of(&red[..red.len() - 2]),
            true,
            "framed truncated message",
        ),
        (
            frame_of(&with(&red, &|b| b[0] = 1)),
            true,
            "framed version 1",
        ),
    ];
    let packets: Vec<pcap::Packet> = cases
        .iter()
        .enumerate()
        .map(|(i, (payload, framed, _))| {
            let port = if *framed {
                pcap::FRAME_PORT
            } else {
                pcap::BARE_PORT
            };
            pcap::Packet {
                micros: i as u64 * 1_000,
                src: [10, 0, 0, 1],
                dst: [10, 0, 0, 11],
                src_port: port,
                dst_port: port,
                payload: payload.clone(),
            }
        })
        .collect();
    let path = temp("tshark", "malformed.pcap");
    std::fs::write(&path, pcap::write(&packets).unwrap()).unwrap();
    // The library refuses each malformed case (and accepts the valid ones), so the comparison
    // below checks an expert info for each.
    for (payload, framed, what) in &cases {
        let refused = expected(payload, *framed).expert.is_empty();
        assert_eq!(refused, what.starts_with("valid"), "{what}");
    }
    check(&path, &cases);
}

#[test]
fn tshark_agrees_with_the_library_on_every_truncation_and_byte_corruption() {
    let messages = [
        encoded(&PrivateCallRequest {
            service_kind: ServiceKind::McdataOneToOne,
            calling_party: id("sip:user1@mc-a.example"),
            target: id("sip:user2@mc-a.example"),
            e2ee_required: true,
            security_domain_info: Some(
                SecurityDomainInfo::new("https://kms.mc-a.example/kms").unwrap(),
            ),
        }),
        encoded(&PrivateCallRedirection {
            service_kind: ServiceKind::McpttPrivateCall,
            calling_party: id("sip:user1@mc-a.example"),
            target_primary: id("sip:user2@mc-a.example"),
            target_migrated: id("sip:visitor-0042@mc-b.example"),
            e2ee_required: true,
            security_domain_info: Some(
                SecurityDomainInfo::new("https://kms.mc-b.example/kms").unwrap(),
            ),
            reason: Some(RedirectionReason::TargetMigrated),
        }),
        encoded(&MigrationUpdate::Migrated(Migration {
            primary_id: id("sip:user2@mc-a.example"),
            partner_system: mcx_migrate::McSystemIdRef::new("mc-b.example").unwrap(),
            partner_id: id("sip:visitor-0042@mc-b.example"),
            security_domain_info: None,
        })),
    ];
    let mut cases: Vec<(Vec<u8>, bool, &str)> = Vec::new();
    for message in &messages {
        for len in 1..=message.len() {
            let prefix = message[..len].to_vec();
            cases.push((frame_of(&prefix), true, "framed prefix"));
            cases.push((prefix, false, "prefix"));
        }
        for at in 0..message.len() {
            for byte in [0x80, 0xFF] {
                let mut corrupted = message.clone();
                corrupted[at] = byte;
                cases.push((corrupted, false, "one byte corrupted"));
            }
        }
    }
    let packets: Vec<pcap::Packet> = cases
        .iter()
        .enumerate()
        .map(|(i, (payload, framed, _))| {
            let port = if *framed {
                pcap::FRAME_PORT
            } else {
                pcap::BARE_PORT
            };
            pcap::Packet {
                micros: i as u64,
                src: [10, 0, 0, 1],
                dst: [10, 0, 0, 11],
                src_port: port,
                dst_port: port,
                payload: payload.clone(),
            }
        })
        .collect();
    let path = temp("tshark", "corrupted.pcap");
    std::fs::write(&path, pcap::write(&packets).unwrap()).unwrap();
    check(&path, &cases);
}

/// Fields the comparison leaves out: shown only for a frame whose CRC does not match, when the
/// library shows no message at all.
const UNCOMPARED: &[&str] = &["mcx_frame.unchecked"];

#[test]
fn every_field_and_expert_info_of_the_dissector_is_compared_and_documented() {
    let lua = std::fs::read_to_string(dissector()).unwrap();
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/wireshark.md"),
    )
    .unwrap();
    let declared = |prefix: &str| -> Vec<String> {
        lua.split(prefix)
            .skip(1)
            .filter_map(|rest| rest.split_once('(')?.1.strip_prefix('"'))
            .filter_map(|rest| rest.split_once('"'))
            .map(|(name, _)| name.to_owned())
            .collect()
    };
    let fields = declared("ProtoField.");
    let experts = declared("ProtoExpert.new");
    assert!(
        fields.len() > 20 && experts.len() > 10,
        "{fields:?} {experts:?}"
    );
    for f in &fields {
        assert!(
            FIELDS.contains(&f.as_str()) || UNCOMPARED.contains(&f.as_str()),
            "the test does not compare {f}"
        );
    }
    for x in &experts {
        assert!(
            EXPERTS.contains(&x.as_str()),
            "the test does not look for {x}"
        );
    }
    for name in fields.iter().chain(&experts) {
        let documented = docs.contains(&format!("`{name}`"));
        let internal = name.ends_with("dissector_error");
        assert!(
            documented || internal,
            "docs/wireshark.md does not name {name}"
        );
    }
}

#[test]
fn a_failure_inside_the_dissector_is_expert_info_not_a_lua_error() {
    // A copy of the dissector whose request body fails as an unforeseen bug would.
    let lua = std::fs::read_to_string(dissector()).unwrap();
    let broken = lua.replacen(
        "local function request(r)\n",
        "local function request(r)\n    error(\"injected failure\")\n",
        1,
    );
    assert_ne!(broken, lua);
    let script = temp("tshark", "broken.lua");
    std::fs::write(&script, broken).unwrap();
    let mut request = encoded(&PrivateCallRequest {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: id("sip:user1@mc-a.example"),
        target: id("sip:user2@mc-a.example"),
        e2ee_required: false,
        security_domain_info: None,
    });
    // Version 2, which the dissector reads, whatever version this library build writes: the
    // failure must come from inside the request's body.
    request[0] = 2;
    let packets: Vec<pcap::Packet> = [
        (pcap::BARE_PORT, request.clone()),
        (pcap::FRAME_PORT, frame_of(&request)),
    ]
    .into_iter()
    .map(|(port, payload)| pcap::Packet {
        micros: 0,
        src: [10, 0, 0, 1],
        dst: [10, 0, 0, 11],
        src_port: port,
        dst_port: port,
        payload,
    })
    .collect();
    let path = temp("tshark", "broken.pcap");
    std::fs::write(&path, pcap::write(&packets).unwrap()).unwrap();
    for shown in dissect_with(&script, &path) {
        assert!(
            shown.contains_key("mcx.expert.dissector_error")
                || shown.contains_key("mcx_frame.expert.dissector_error"),
            "{shown:#?}"
        );
        let messages = &shown["_ws.expert.message"];
        assert!(
            messages.iter().any(|m| m.contains("injected failure")),
            "{shown:#?}"
        );
    }
}
