//! The Rust firmware (`examples/firmware-rs`) on an emulated Cortex-M4F: builds it for
//! `thumbv7em-none-eabihf`, boots it on QEMU's `mps2-an386`, decodes its defmt log with
//! `defmt-print` and checks the procedure of Fig. 10.16.y.3-1 (TS 23.280 §10.16.5) step by step
//! in the decoded log, and the firmware's own verdict in its exit code.
//!
//! The firmware is built and run once; each test reads the shared result.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use mcx_testkit::qemu::{self, Marker};

/// Longer than the firmware needs by two orders of magnitude; only a hang reaches it.
const QEMU_TIMEOUT: Duration = Duration::from_secs(60);

/// Named checks the firmware runs; a firmware that skipped some would report fewer.
const FIRMWARE_CHECKS: usize = 15;

struct Firmware {
    exit_code: Option<i32>,
    log: String,
}

/// Builds the firmware (release, its own target dir) and returns the ELF's path.
fn build() -> PathBuf {
    let root = qemu::repo_root();
    let dir = root.join("examples/firmware-rs");
    let target_dir = root.join("target/firmware-rs");
    // Run from the firmware's directory so its .cargo/config.toml (target, linker scripts) applies.
    // Not `--locked`: a dependency the core gains is added to the firmware's lock file, nothing
    // else moves.
    let status = qemu::nested_cargo(&dir)
        .args(["build", "--release", "--target-dir"])
        .arg(&target_dir)
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    assert!(
        status.success(),
        "building examples/firmware-rs failed ({status}); it needs the target: \
         `rustup target add thumbv7em-none-eabihf` (scripts/test adds it)"
    );
    target_dir.join("thumbv7em-none-eabihf/release/mcx-migrate-firmware-rs")
}

/// Builds and runs the firmware once, for all the tests.
fn firmware() -> &'static Firmware {
    static FIRMWARE: OnceLock<Result<Firmware, String>> = OnceLock::new();
    qemu::once(&FIRMWARE, build_and_run)
}

fn build_and_run() -> Firmware {
    // Check the tools first, so a missing one fails fast with its install step.
    qemu::require_tool("qemu-system-arm", qemu::QEMU_INSTALL);
    qemu::require_tool("defmt-print", qemu::DEFMT_PRINT_INSTALL);
    let elf = build();
    let run = qemu::run_mps2_an386_to_exit(&elf, QEMU_TIMEOUT);
    let log = qemu::defmt_print(&elf, &run.stdout);
    Firmware {
        exit_code: run.exit_code(),
        log,
    }
}

/// The decoded log's messages, without defmt-print's location lines.
fn messages() -> Vec<&'static str> {
    firmware()
        .log
        .lines()
        .filter(|l| !l.trim_start().starts_with("└─"))
        .collect()
}

/// Index of the first message at or after `from` that contains every part of `parts`.
fn find(messages: &[&str], from: usize, parts: &[&str]) -> usize {
    qemu::find_line(messages, from, parts, &firmware().log)
}

#[test]
fn firmware_exits_0_after_every_check_passed() {
    let fw = firmware();
    qemu::assert_all_checks_passed(
        &messages(),
        Marker::Anywhere,
        FIRMWARE_CHECKS,
        fw.exit_code,
        &fw.log,
    );
}

#[test]
fn pre_conditions_migration_updates_arrive_as_frames_and_fill_server_a_table() {
    let m = messages();
    let at = find(
        &m,
        0,
        &["migration update to MC system A:", "bytes on the wire"],
    );
    let at = find(&m, at, &["MC system A applied it: Inserted"]);
    find(
        &m,
        at,
        &["PASS server A's migration table maps user 2 to the ID assigned by MC system B"],
    );
}

#[test]
fn step_3_server_a_redirects_the_primary_id_to_the_id_assigned_by_b() {
    let m = messages();
    let call = find(&m, 0, &["call 1: MCPTT private call"]);
    let at = find(
        &m,
        call,
        &["client 1 -> MC system A: private call request to sip:user2@mc-a.example"],
    );
    let at = find(
        &m,
        at,
        &[
            "MC system A -> client 1: private call redirection to sip:visitor-0042@mc-b.example",
            "reason Some(TargetMigrated)",
            "KMS URI None",
        ],
    );
    // The library's own defmt log, from inside the client procedure.
    let at = find(&m, at, &["DEBUG", "private call redirection followed"]);
    find(&m, at, &["PASS client 1 released its request"]);
}

#[test]
fn step_5_client_1_calls_the_id_at_b_and_server_b_proceeds() {
    let m = messages();
    let call = find(&m, 0, &["call 1: MCPTT private call"]);
    let at = find(
        &m,
        call,
        &["client 1 -> MC system B: private call request to sip:visitor-0042@mc-b.example"],
    );
    let at = find(&m, at, &["MC system B proceeds with the private call"]);
    find(&m, at, &["PASS server B proceeds with call 1"]);
}

#[test]
fn e2ee_redirection_carries_the_kms_uri_of_mc_system_b() {
    let m = messages();
    let call = find(
        &m,
        0,
        &["call 2: MCVideo private call with end-to-end encryption"],
    );
    let at = find(
        &m,
        call,
        &[
            "MC system A -> client 1: private call redirection to sip:visitor-0042@mc-b.example",
            "KMS URI Some(https://kms.mc-b.example/kms)",
        ],
    );
    find(&m, at, &["PASS server B proceeds with the E2EE call"]);
}

#[test]
fn consecutive_migration_b_sends_the_caller_home_and_a_sends_it_on_to_c() {
    let m = messages();
    let call = find(&m, 0, &["call 3: one-to-one MCData communication"]);
    let at = find(&m, call, &["MC system B applied it: MarkedDeparted"]);
    let at = find(
        &m,
        at,
        &[
            "MC system B -> client 1: private call redirection to sip:user2@mc-a.example",
            "reason Some(TargetNoLongerServed)",
        ],
    );
    let at = find(
        &m,
        at,
        &["client 1 -> MC system A: private call request to sip:user2@mc-a.example"],
    );
    let at = find(
        &m,
        at,
        &[
            "MC system A -> client 1: private call redirection to tel:+4930555002",
            "reason Some(TargetMigrated)",
        ],
    );
    let at = find(&m, at, &["MC system C proceeds with the private call"]);
    find(
        &m,
        at,
        &["PASS server C proceeds with call 3 after three redirections"],
    );
}

/// docs/embedded.md quotes the object sizes this firmware logs: the figures follow the build.
#[test]
fn embedded_docs_quote_the_object_sizes_the_firmware_logs() {
    let m = messages();
    let line = m[find(&m, 0, &["PrivateCall ", "PrivateCallRedirection "])];
    let size_after = |label: &str| -> String {
        let rest = &line[line.find(label).unwrap() + label.len()..];
        rest.split_whitespace().next().unwrap().to_string()
    };
    let (call, redirection) = (
        size_after("PrivateCall "),
        size_after("PrivateCallRedirection "),
    );
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/embedded.md"))
        .unwrap();
    let docs = docs.split_whitespace().collect::<Vec<_>>().join(" ");
    let quoted =
        format!("a `PrivateCall` takes {call} bytes and a `PrivateCallRedirection` {redirection}");
    assert!(
        docs.contains(&quoted),
        "docs/embedded.md should say \"{quoted}\" (the firmware's log: {line})"
    );
}
