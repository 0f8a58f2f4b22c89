//! The committed seed corpus of the wire fuzz targets (`fuzz/corpus/decode_any`,
//! `fuzz/corpus/roundtrip`) is generated here, from the real encoder, so it never drifts from
//! the wire format: this test fails when a seed no longer matches. Regenerate with
//!
//! ```sh
//! MCX_WRITE_FUZZ_CORPUS=1 cargo test -p mcx-migrate-tests --test fuzz_seed_corpus
//! ```

use std::path::{Path, PathBuf};

use mcx_migrate::wire::{decode_frame, decode_message, encode_frame, encode_message};
use mcx_migrate::wire::{MAX_ENCODED_LEN, MAX_FRAME_LEN};
use mcx_migrate::{
    Message, Migration, MigrationUpdate, PrivateCallRedirection, PrivateCallRequest,
    RedirectionReason, SecurityDomainInfo, ServiceKind,
};
use mcx_testkit::fixtures::typed::{self, id, system};
use mcx_testkit::fixtures::{
    KMS_A, KMS_B, SYSTEM_A, SYSTEM_B, SYSTEM_C, USER1, USER2_AT_B, USER2_PRIMARY,
};

fn sdi(s: &str) -> Option<SecurityDomainInfo<'_>> {
    Some(typed::sdi(s))
}

/// One valid message of every type and variant, with and without the optional IEs.
fn seeds() -> Vec<(&'static str, Message<'static>)> {
    let user1 = id(USER1);
    let user2 = id(USER2_PRIMARY);
    let at_b = id(USER2_AT_B);
    // A `tel:` URI: both schemes in the seeds.
    let at_c = id("tel:+4930555002");
    let kms_b = KMS_B;
    vec![
        (
            "request_plain",
            Message::Request(PrivateCallRequest {
                service_kind: ServiceKind::McpttPrivateCall,
                calling_party: user1,
                target: user2,
                e2ee_required: false,
                security_domain_info: None,
            }),
        ),
        (
            "request_e2ee_step5",
            Message::Request(PrivateCallRequest {
                service_kind: ServiceKind::McdataOneToOne,
                calling_party: user1,
                target: at_b,
                e2ee_required: true,
                security_domain_info: sdi(kms_b),
            }),
        ),
        (
            "redirection_e2ee",
            Message::Redirection(PrivateCallRedirection {
                service_kind: ServiceKind::McvideoPrivateCall,
                calling_party: user1,
                target_primary: user2,
                target_migrated: at_b,
                e2ee_required: true,
                security_domain_info: sdi(kms_b),
                reason: Some(RedirectionReason::TargetMigrated),
            }),
        ),
        (
            "redirection_home",
            Message::Redirection(PrivateCallRedirection {
                service_kind: ServiceKind::McpttPrivateCall,
                calling_party: user1,
                target_primary: user2,
                target_migrated: at_b,
                e2ee_required: false,
                security_domain_info: None,
                reason: Some(RedirectionReason::TargetNoLongerServed),
            }),
        ),
        (
            "redirection_no_reason",
            Message::Redirection(PrivateCallRedirection {
                service_kind: ServiceKind::McdataOneToOne,
                calling_party: user1,
                target_primary: user2,
                target_migrated: at_c,
                e2ee_required: false,
                security_domain_info: sdi("urn:kms:c"),
                reason: None,
            }),
        ),
        (
            "update_migrated",
            Message::MigrationUpdate(MigrationUpdate::Migrated(Migration {
                primary_id: user2,
                partner_system: system(SYSTEM_B),
                partner_id: at_b,
                security_domain_info: sdi(kms_b),
            })),
        ),
        (
            "update_moved_on",
            Message::MigrationUpdate(MigrationUpdate::MovedOn(Migration {
                primary_id: user2,
                partner_system: system(SYSTEM_C),
                partner_id: at_c,
                security_domain_info: None,
            })),
        ),
        (
            "update_returned",
            Message::MigrationUpdate(MigrationUpdate::Returned { primary_id: user2 }),
        ),
        (
            "update_visitor_registered",
            Message::MigrationUpdate(MigrationUpdate::VisitorRegistered {
                local_id: at_b,
                primary_id: user2,
                primary_system: system(SYSTEM_A),
                primary_security_domain_info: sdi(KMS_A),
            }),
        ),
        (
            "update_visitor_departed",
            Message::MigrationUpdate(MigrationUpdate::VisitorDeparted { local_id: at_b }),
        ),
    ]
}

fn frame(msg: &Message<'_>) -> Vec<u8> {
    let mut buf = [0u8; MAX_FRAME_LEN];
    let n = match msg {
        Message::Request(m) => encode_frame(m, &mut buf),
        Message::Redirection(m) => encode_frame(m, &mut buf),
        Message::MigrationUpdate(m) => encode_frame(m, &mut buf),
    }
    .unwrap();
    buf[..n].to_vec()
}

fn encoded(msg: &Message<'_>) -> Vec<u8> {
    let mut buf = [0u8; MAX_ENCODED_LEN];
    let n = encode_message(msg, &mut buf).unwrap();
    buf[..n].to_vec()
}

/// `bytes` with the varint after the envelope (a value below 128) spelled in two bytes.
fn over_long(bytes: &[u8]) -> Vec<u8> {
    assert!(bytes[2] < 0x80);
    let mut out = bytes[..2].to_vec();
    out.extend_from_slice(&[0x80 | bytes[2], 0x00]);
    out.extend_from_slice(&bytes[3..]);
    out
}

/// The seed files each wire target's corpus must hold: (file name, bytes).
fn expected_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for (name, msg) in seeds() {
        for target in ["decode_any", "roundtrip"] {
            files.push((PathBuf::from(format!("{target}/{name}.bin")), encoded(&msg)));
        }
        // The same message with its first varint (service kind or variant tag) over-long: refused
        // by the decoder; one that forgot the canonical check would accept it, and `roundtrip`
        // reports that on its seeds alone (libFuzzer rarely builds an over-long varint itself).
        for target in ["decode_any", "roundtrip"] {
            files.push((
                PathBuf::from(format!("{target}/{name}.overlong")),
                over_long(&encoded(&msg)),
            ));
        }
        // decode_any also drives decode_frame: give it frames to mutate.
        files.push((
            PathBuf::from(format!("decode_any/{name}.frame")),
            frame(&msg),
        ));
    }
    files
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus")
}

#[test]
fn committed_wire_seed_corpus_matches_the_encoder() {
    let write = std::env::var_os("MCX_WRITE_FUZZ_CORPUS").is_some();
    for (path, bytes) in expected_files() {
        let path = corpus_dir().join(path);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; regenerate the corpus", path.display()));
        assert_eq!(
            committed,
            bytes,
            "{} is stale; regenerate the corpus",
            path.display()
        );
    }
}

#[test]
fn every_wire_seed_is_an_accepted_message() {
    for (name, msg) in seeds() {
        let bytes = encoded(&msg);
        assert_eq!(decode_message(&bytes).unwrap(), msg, "{name}");
        let mut framed = frame(&msg);
        assert_eq!(decode_frame(&mut framed).unwrap(), msg, "{name}");
    }
}

#[test]
fn over_long_varint_seeds_are_refused_as_malformed() {
    for (name, msg) in seeds() {
        assert_eq!(
            decode_message(&over_long(&encoded(&msg))),
            Err(mcx_migrate::DecodeError::Malformed),
            "{name}"
        );
    }
}
