//! The C firmware (`examples/firmware-c`) on an emulated Cortex-M4F: builds the thumbv7em
//! staticlib (release: `opt-level = "z"`, LTO, one codegen unit), links it into bare-metal C
//! with `arm-none-eabi-gcc`, newlib and `--gc-sections` (the firmware's Makefile), boots it on
//! QEMU's `mps2-an386`, and checks the procedure of Fig. 10.16.y.3-1 (TS 23.280 §10.16.5) step
//! by step in its semihosting output and its verdict in its exit code.
//!
//! The same run yields the size report (`target/firmware-c/size-report.md`, printed by
//! `.ci/run`): the flash the library adds (from the linker map), the RAM of a migration table
//! (its handle and its storage per record, from the header; the firmware's tables, from its
//! output), and the stack depth of each C API call, measured by stack painting
//! in the firmware and explained by a static call-graph walk of the linked code.
//!
//! The firmware is built and run once; each test reads the shared result.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use mcx_migrate_tests::generated::{self, grouped};
use mcx_testkit::qemu::{self, check_output as check, Marker};

/// Longer than the firmware needs by two orders of magnitude; only a hang reaches it.
const QEMU_TIMEOUT: Duration = Duration::from_secs(60);

/// Named checks the firmware runs; a firmware that skipped some would report fewer.
const FIRMWARE_CHECKS: usize = 23;

/// How to install the Arm bare-metal toolchain and newlib on Debian.
const ARM_GCC_INSTALL: &str = "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi";

const TARGET: &str = "thumbv7em-none-eabihf";

/// Targets from issue 4: what the library should stay within.
const FLASH_TARGET: u64 = 12 * 1024;
/// The "Wire layer v2" issue's target for the whole C API (the firmware calling every function).
const FLASH_WHOLE_API_TARGET: u64 = 14 * 1024;
const STACK_TARGET: u64 = 1024;
/// Limits above which CI is to fail.
/// The Fig. 10.16.y.3-1 firmware meets its flash target, so the target is the limit: a change
/// that takes the firmware past it fails.
const FLASH_CI_LIMIT: u64 = FLASH_TARGET;
/// The whole C API is over its target (docs/footprint.md); this limit, above today's figure,
/// fails a regression.
const FLASH_WHOLE_API_CI_LIMIT: u64 = 17 * 1024;
/// The stack target itself: issue 12 and 13 keep "every C API call ≤ 1 KiB of stack, painted
/// and static" as a rule, so CI enforces it rather than a looser limit.
const STACK_CI_LIMIT: u64 = STACK_TARGET;

/// Bytes of a typical record's strings (the key, the two other IDs, the KMS URI), for the table
/// storage figures: the firmware's user 2, migrated to B, in A's table:
/// `sip:user2@mc-a.example` (22) + `mc-b.example` (12) + `sip:visitor-0042@mc-b.example` (29),
/// without a KMS URI and with `https://kms.mc-b.example/kms` (28).
const TYPICAL_STRING_BYTES: [u64; 2] = [22 + 12 + 29, 22 + 12 + 29 + 28];
// `size_report_is_complete_and_within_the_ci_limits` fails above either CI limit: a C API call
// whose stack, painted or static, is above 1 KiB, or library flash above 20 KiB.

/// The C API functions the firmware calls, each through its stack-painting `API()` wrapper.
const MEASURED_FUNCTIONS: &[&str] = &[
    "mcx_call_on_redirection",
    "mcx_call_on_redirection_bytes",
    "mcx_call_redirections",
    "mcx_call_request",
    "mcx_call_request_message",
    "mcx_call_start",
    "mcx_message_decode",
    "mcx_message_decode_frame",
    "mcx_message_e2ee_required",
    "mcx_message_encode",
    "mcx_message_encode_frame",
    "mcx_message_field",
    "mcx_message_init_migrated",
    "mcx_message_init_redirection",
    "mcx_message_init_moved_on",
    "mcx_message_init_request",
    "mcx_message_init_returned",
    "mcx_message_init_visitor_departed",
    "mcx_message_init_visitor_registered",
    "mcx_message_reason",
    "mcx_message_service_kind",
    "mcx_message_type",
    "mcx_message_update_kind",
    "mcx_server_decide",
    "mcx_server_decide_bytes",
    "mcx_status_str",
    "mcx_table_apply",
    "mcx_table_apply_bytes",
    "mcx_table_bytes_in_use",
    "mcx_table_clear",
    "mcx_table_init",
    "mcx_table_len",
    "mcx_table_load",
    "mcx_table_restore",
    "mcx_table_save",
    "mcx_table_snapshot",
    "mcx_table_storage_len",
    "mcx_version",
];

/// Measured functions that may use no stack at all: a depth of 0 is their measurement.
const LEAF_FUNCTIONS: &[&str] = &["mcx_version", "mcx_table_storage_len"];

struct Firmware {
    exit_code: Option<i32>,
    output: String,
    elf: PathBuf,
    map: PathBuf,
    /// The linker map of the same firmware without the gateway reboot step
    /// (`-DMCX_FW_SCENARIO_ONLY`): the Fig. 10.16.y.3-1 scenario alone, built, not run.
    scenario_map: PathBuf,
}

fn out_dir() -> PathBuf {
    qemu::repo_root().join("target/firmware-c")
}

/// Builds the staticlib in a target directory of its own (the nested cargo neither waits for
/// nor disturbs the outer `cargo test`) and returns the folder holding `libmcx_migrate_ffi.a`.
fn build_staticlib() -> PathBuf {
    build_staticlib_in(&out_dir(), &[])
}

/// Builds the staticlib in `target_dir`, with `features` (cargo arguments) if any.
fn build_staticlib_in(target_dir: &Path, features: &[&str]) -> PathBuf {
    let output = qemu::nested_cargo(&qemu::repo_root())
        .args(["rustc", "-p", "mcx-migrate-ffi", "--lib", "--release"])
        .args(features)
        .args([
            "--target",
            TARGET,
            "--crate-type",
            "staticlib",
            "--target-dir",
        ])
        .arg(target_dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    check(
        &format!("cargo rustc -p mcx-migrate-ffi {features:?} --target {TARGET} (needs `rustup target add {TARGET}`, scripts/test adds it)"),
        &output,
    );
    target_dir.join(TARGET).join("release")
}

/// Links the C firmware against the staticlib in `lib_dir` into `out` (created if missing),
/// with extra make variables `vars`; returns make's output for the caller to judge.
fn make_firmware(lib_dir: &Path, out: &Path, vars: &[&str]) -> Output {
    std::fs::create_dir_all(out).unwrap_or_else(|e| panic!("create {}: {e}", out.display()));
    Command::new("make")
        .current_dir(qemu::repo_root())
        .args(["-s", "-B", "-C", "examples/firmware-c"])
        .arg(format!("LIB_DIR={}", lib_dir.display()))
        .arg(format!("OUT={}", out.display()))
        .args(vars)
        .output()
        .unwrap_or_else(|e| panic!("cannot run make: {e}"))
}

fn build_and_run() -> Firmware {
    // Tools first, so a missing one fails fast with its install step.
    qemu::require_tool("arm-none-eabi-gcc", ARM_GCC_INSTALL);
    qemu::require_tool("qemu-system-arm", qemu::QEMU_INSTALL);
    let lib_dir = build_staticlib();
    let fw_dir = out_dir().join("fw");
    check(
        "make -C examples/firmware-c",
        &make_firmware(&lib_dir, &fw_dir, &[]),
    );
    let scenario_dir = out_dir().join("fw-scenario");
    let scenario_only = "EXTRA_CFLAGS=-DMCX_FW_SCENARIO_ONLY";
    check(
        &format!("make -C examples/firmware-c {scenario_only}"),
        &make_firmware(&lib_dir, &scenario_dir, &[scenario_only]),
    );
    let elf = fw_dir.join("firmware.elf");
    let run = qemu::run_mps2_an386_to_exit(&elf, QEMU_TIMEOUT);
    Firmware {
        exit_code: run.exit_code(),
        output: String::from_utf8_lossy(&run.stdout).into_owned(),
        elf,
        map: fw_dir.join("firmware.map"),
        scenario_map: scenario_dir.join("firmware.map"),
    }
}

/// Builds and runs the firmware once, for all the tests.
fn firmware() -> &'static Firmware {
    static FIRMWARE: OnceLock<Result<Firmware, String>> = OnceLock::new();
    qemu::once(&FIRMWARE, build_and_run)
}

fn lines() -> Vec<&'static str> {
    firmware().output.lines().collect()
}

/// Index of the first line at or after `from` that contains every part of `parts`.
fn find(lines: &[&str], from: usize, parts: &[&str]) -> usize {
    qemu::find_line(lines, from, parts, &firmware().output)
}

#[test]
fn firmware_exits_0_after_every_check_passed() {
    let fw = firmware();
    qemu::assert_all_checks_passed(
        &lines(),
        Marker::AtStart,
        FIRMWARE_CHECKS,
        fw.exit_code,
        &fw.output,
    );
}

#[test]
fn gateway_b_survives_a_reboot_through_snapshot_and_restore() {
    let l = lines();
    let at = find(&l, 0, &["MC system B's gateway reboots"]);
    let at = find(&l, at, &["snapshot of table B in flash", "4d 43 58 53"]);
    let at = find(
        &l,
        at,
        &["PASS after the reboot B's table holds its record again"],
    );
    let at = find(
        &l,
        at,
        &["PASS after the reboot server B still sends a call to the departed visitor home"],
    );
    find(
        &l,
        at,
        &["PASS a call to the cached ID at B: B sends it home, A sends it on to C"],
    );
}

#[test]
fn pre_conditions_migration_updates_arrive_as_bytes_and_frames_and_fill_the_tables() {
    let l = lines();
    let at = find(
        &l,
        0,
        &["migration update to MC system A: (99 bytes): 02 03 00"],
    );
    let at = find(&l, at, &["MC system A applied it: success"]);
    let at = find(&l, at, &["migration update to MC system B:"]);
    let at = find(&l, at, &["MC system B applied it: success"]);
    let at = find(&l, at, &["migration update to MC system A as a COBS frame"]);
    let at = find(&l, at, &["PASS a framed migration update decodes as one"]);
    let at = find(
        &l,
        at,
        &["PASS server A's migration table holds user 2 (at B) and user 4 (at C)"],
    );
    find(
        &l,
        at,
        &["PASS server B's migration table holds visiting user 2"],
    );
}

#[test]
fn step_3_server_a_redirects_the_primary_id_and_the_handset_releases_its_request() {
    let l = lines();
    let call = find(&l, 0, &["call 1: MCPTT private call"]);
    let at = find(
        &l,
        call,
        &["client 1 -> MC system A: private call request to sip:user2@mc-a.example"],
    );
    let at = find(
        &l,
        at,
        &[
            "MC system A -> client 1: private call redirection (83 bytes)",
            "reason target migrated",
            "KMS URI (none)",
        ],
    );
    let at = find(&l, at, &["client 1 released its request"]);
    let at = find(&l, at, &["PASS step 3: server A answers the primary ID"]);
    find(
        &l,
        at,
        &["PASS the redirection names the MC service ID assigned by MC system B"],
    );
}

#[test]
fn step_5_the_handset_calls_the_partner_assigned_id_and_server_b_proceeds() {
    let l = lines();
    let call = find(&l, 0, &["call 1: MCPTT private call"]);
    let at = find(
        &l,
        call,
        &["client 1 -> MC system B: private call request to sip:visitor-0042@mc-b.example"],
    );
    let at = find(&l, at, &["MC system B proceeds with the private call"]);
    find(
        &l,
        at,
        &["PASS step 5: client 1 calls the partner-assigned ID and server B proceeds"],
    );
}

#[test]
fn e2ee_redirection_carries_the_kms_uri_of_mc_system_b() {
    let l = lines();
    let call = find(
        &l,
        0,
        &["call 2: MCVideo private call with end-to-end encryption"],
    );
    let at = find(
        &l,
        call,
        &[
            "MC system A -> client 1: private call redirection (112 bytes)",
            "KMS URI https://kms.mc-b.example/kms",
        ],
    );
    let at = find(
        &l,
        at,
        &["PASS the E2EE call's redirection carries MC system B's KMS URI"],
    );
    find(
        &l,
        at,
        &["PASS the request to B carries B's KMS URI and server B proceeds"],
    );
}

#[test]
fn consecutive_migration_b_sends_the_caller_home_and_a_sends_it_on_to_c() {
    let l = lines();
    let call = find(&l, 0, &["call 3: one-to-one MCData communication"]);
    let at = find(&l, call, &["MC system B applied it: success"]);
    let at = find(
        &l,
        at,
        &[
            "MC system B -> client 1: private call redirection",
            "reason target no longer served",
        ],
    );
    let at = find(
        &l,
        at,
        &["client 1 -> MC system A: private call request to sip:user2@mc-a.example"],
    );
    let at = find(
        &l,
        at,
        &[
            "MC system A -> client 1: private call redirection",
            "reason target migrated",
        ],
    );
    let at = find(
        &l,
        at,
        &["client 1 -> MC system C: private call request to tel:+4930555002"],
    );
    let at = find(&l, at, &["MC system C proceeds with the private call"]);
    let at = find(
        &l,
        at,
        &["PASS consecutive migration: A -> B, B sends the caller home"],
    );
    find(
        &l,
        at,
        &["PASS server C proceeds with call 3 after three redirections"],
    );
}

// ---- size report --------------------------------------------------------------------------

/// Flash (`.text` + `.rodata` kept by `--gc-sections`) by origin, from the linker map.
#[derive(Default)]
struct Flash {
    /// Everything linked from `libmcx_migrate_ffi.a`: the library, the parts of `core` and of
    /// its dependencies it uses, and Rust's `compiler_builtins` (memcpy, memmove, memset).
    library: u64,
    /// The firmware's own C code (startup and scenario).
    firmware: u64,
    /// newlib, libgcc (printf, semihosting, exit).
    runtime: u64,
    /// The library's largest kept input sections: (bytes, section).
    largest: Vec<(u64, String)>,
    /// The library's bytes by origin (see [`origin`]).
    by_origin: BTreeMap<&'static str, u64>,
    /// Every kept `.text` input section of the library: (symbol, bytes), the symbol mangled.
    code: Vec<(String, u64)>,
}

/// Where a kept input section of the library comes from, by its (mangled) section name.
fn origin(output_section: &str, section: &str) -> &'static str {
    let has = |s: &str| section.contains(s);
    if output_section == ".rodata" {
        "constants (.rodata: status strings, tables)"
    } else if has("compiler_builtins")
        || has("__aeabi")
        || matches!(
            section,
            ".text.memset" | ".text.memcpy" | ".text.memmove" | ".text.memcmp" | ".text.strlen"
        )
    {
        "Rust compiler_builtins (memcpy, memmove, memset...)"
    } else if section.starts_with(".text.mcx_") {
        "C API functions (ffi, with what LTO inlined)"
    } else if has("mcx_migrate_ffi") {
        "ffi internals"
    } else if has("mcx_migrate") {
        "core (mcx-migrate)"
    } else if has("postcard") || has("serde") || has("cobs") {
        "postcard, serde, cobs"
    } else if has("heapless") {
        "heapless"
    } else {
        "Rust core library, outlined code"
    }
}

/// Sums the sizes of the input sections in the map's "Linker script and memory map" part (the
/// "Discarded input sections" before it are what `--gc-sections` dropped) by output section
/// and by the file they came from.
fn flash_from_map(map: &str) -> Flash {
    let mut flash = Flash::default();
    let body = map
        .split_once("Linker script and memory map")
        .map(|(_, b)| b)
        .expect("the linker map has its memory map part");
    let mut output_section = "";
    let mut lines = body.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.starts_with(' ') && !line.is_empty() {
            output_section = line.split_whitespace().next().unwrap_or("");
            continue;
        }
        if !line.starts_with(" .") {
            continue;
        }
        let mut fields: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        // A long input section name stands alone; its address, size and file follow.
        if fields.len() == 1 {
            if let Some(next) = lines.next() {
                fields.extend(next.split_whitespace().map(str::to_owned));
            }
        }
        if fields.len() < 4 || !matches!(output_section, ".text" | ".rodata") {
            continue;
        }
        let Some(size) = fields[2]
            .strip_prefix("0x")
            .and_then(|h| u64::from_str_radix(h, 16).ok())
        else {
            continue;
        };
        let file = fields[3..].join(" ");
        if file.contains("libmcx_migrate_ffi.a(") {
            flash.library += size;
            *flash
                .by_origin
                .entry(origin(output_section, &fields[0]))
                .or_default() += size;
            flash.largest.push((size, fields[0].clone()));
            if let Some(symbol) = fields[0].strip_prefix(".text.") {
                flash.code.push((symbol.to_owned(), size));
            }
        } else if file.contains("arm-none-eabi") {
            flash.runtime += size;
        } else {
            flash.firmware += size;
        }
    }
    flash.largest.sort_by(|a, b| b.cmp(a));
    flash.largest.truncate(8);
    flash
}

/// Stack painting results printed by the firmware: function -> deepest bytes.
fn measured_stack(output: &str) -> BTreeMap<String, u64> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("stack: "))
        .filter(|l| !l.starts_with("deepest "))
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let function = parts.next()?;
            let bytes = parts.next()?.parse().ok()?;
            Some((function.to_owned(), bytes))
        })
        .collect()
}

/// A static call graph of the linked code, from its disassembly: each function's frame (bytes
/// pushed plus `sub sp`) and the functions it branches to. Indirect calls (`blx rN`) are not
/// followed; the painted measurement covers them.
struct CallGraph {
    frame: HashMap<String, u64>,
    calls: HashMap<String, HashSet<String>>,
}

fn register_count(list: &str) -> u64 {
    list.split(',')
        .map(str::trim)
        .map(|r| match r.split_once('-') {
            Some((a, b)) => {
                let n = |s: &str| s[1..].parse::<u64>().unwrap_or(0);
                n(b).saturating_sub(n(a)) + 1
            }
            None => 1,
        })
        .sum()
}

fn call_graph(elf: &Path) -> CallGraph {
    let output = Command::new("arm-none-eabi-objdump")
        .args(["-d", "--no-show-raw-insn"])
        .arg(elf)
        .output()
        .unwrap_or_else(|e| panic!("cannot run arm-none-eabi-objdump ({ARM_GCC_INSTALL}): {e}"));
    check("arm-none-eabi-objdump", &output);
    // Demangled by c++filt rather than `objdump -C`, which drops the hash of a legacy-mangled
    // Rust symbol: two monomorphisations of one generic function (`wire_ser::run` of two
    // types) would become one node of the graph, and the walk would follow chains that never
    // run. With the hash, each stays its own; `short` drops it for display.
    let text = demangle(&output.stdout);
    let mut graph = CallGraph {
        frame: HashMap::new(),
        calls: HashMap::new(),
    };
    let mut current = String::new();
    for line in text.lines() {
        if let Some(name) = line
            .split_once(" <")
            .filter(|(addr, _)| !addr.is_empty() && addr.chars().all(|c| c.is_ascii_hexdigit()))
            .and_then(|(_, rest)| rest.strip_suffix(">:"))
        {
            current = name.to_owned();
            graph.frame.entry(current.clone()).or_insert(0);
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 3 || current.is_empty() {
            continue;
        }
        let (mnemonic, operands) = (fields[1].trim(), fields[2].trim());
        let frame = graph.frame.entry(current.clone()).or_insert(0);
        let braces = || {
            operands
                .split_once('{')
                .and_then(|(_, r)| r.split_once('}'))
                .map(|(l, _)| l)
        };
        match mnemonic {
            "push" | "push.w" => *frame += 4 * braces().map(register_count).unwrap_or(0),
            "stmdb" | "stmdb.w" if operands.starts_with("sp!") => {
                *frame += 4 * braces().map(register_count).unwrap_or(0)
            }
            "vpush" => {
                let list = braces().unwrap_or("");
                let width = if list.contains('d') { 8 } else { 4 };
                *frame += width * register_count(list);
            }
            "sub" | "sub.w" | "subw" => {
                let imm = operands
                    .strip_prefix("sp, sp, #")
                    .or_else(|| operands.strip_prefix("sp, #"))
                    .and_then(|n| n.split_whitespace().next())
                    .and_then(|n| n.parse::<u64>().ok());
                *frame += imm.unwrap_or(0);
            }
            m if m.starts_with('b') => {
                // `bl 1258 <name>`, `b.w 4b0e <name>`; `<name+0x12>` is a branch inside one.
                if let Some(target) = operands
                    .split_once(" <")
                    .and_then(|(_, r)| r.strip_suffix('>'))
                    .filter(|t| !t.contains("+0x") && *t != current)
                {
                    graph
                        .calls
                        .entry(current.clone())
                        .or_default()
                        .insert(target.to_owned());
                }
            }
            _ => {}
        }
    }
    graph
}

/// A call chain: total bytes and the (function, frame bytes) path, outermost first.
type Chain = (u64, Vec<(String, u64)>);

impl CallGraph {
    /// Every function `function` reaches through direct branches, itself included.
    fn reachable(&self, function: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut todo = vec![function.to_owned()];
        while let Some(f) = todo.pop() {
            if let Some(callees) = self.calls.get(&f) {
                todo.extend(callees.iter().filter(|c| !seen.contains(*c)).cloned());
            }
            seen.insert(f);
        }
        seen
    }

    /// The deepest chain from `function`: total bytes and the (function, frame) path.
    fn deepest(
        &self,
        function: &str,
        memo: &mut HashMap<String, Chain>,
        on_path: &mut HashSet<String>,
    ) -> Chain {
        if let Some(known) = memo.get(function) {
            return known.clone();
        }
        let own = self.frame.get(function).copied().unwrap_or(0);
        if !on_path.insert(function.to_owned()) {
            return (0, Vec::new()); // recursion: none in the library, counted once if any
        }
        let mut best = (0, Vec::new());
        for callee in self.calls.get(function).into_iter().flatten() {
            let below = self.deepest(callee, memo, on_path);
            if below.0 > best.0 {
                best = below;
            }
        }
        on_path.remove(function);
        let mut path = vec![(function.to_owned(), own)];
        path.extend(best.1);
        let result = (own + best.0, path);
        memo.insert(function.to_owned(), result.clone());
        result
    }
}

/// `text` with its symbols demangled by `arm-none-eabi-c++filt`, hashes kept.
fn demangle(text: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = Command::new("arm-none-eabi-c++filt")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run arm-none-eabi-c++filt ({ARM_GCC_INSTALL}): {e}"));
    let mut stdin = child.stdin.take().expect("c++filt's stdin");
    let input = text.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("c++filt's output");
    writer
        .join()
        .expect("the c++filt writer")
        .expect("write to c++filt");
    check("arm-none-eabi-c++filt", &output);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `mcx_migrate::wire::<impl ...>::decode::h0123456789abcdef` -> `wire::<impl ...>::decode`:
/// crate prefixes and the hash dropped.
fn short(name: &str) -> String {
    let name = match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => name,
    };
    name.replace("mcx_migrate_ffi::", "ffi::")
        .replace("mcx_migrate::", "")
        .replace("compiler_builtins::", "")
}

/// The part of the C API `function` belongs to, for the table of flash by part: the groups a
/// firmware calls or leaves out together.
fn api_part(function: &str) -> &'static str {
    match function {
        "mcx_table_snapshot" | "mcx_table_restore" | "mcx_table_save" | "mcx_table_load" => {
            "persistence: `mcx_table_snapshot`, `_restore`, `_save`, `_load`"
        }
        f if f.starts_with("mcx_table_") => {
            "migration table: `mcx_table_init`, `_apply`, `_apply_bytes`, `_len`, `_clear`, ..."
        }
        f if f.starts_with("mcx_server_") => {
            "server decision: `mcx_server_decide`, `_decide_bytes`"
        }
        f if f.starts_with("mcx_call_") => "calling client: `mcx_call_*`",
        f if f.starts_with("mcx_message_init_") => "message builders: `mcx_message_init_*`",
        "mcx_message_encode_frame" | "mcx_message_decode_frame" => {
            "frames: `mcx_message_encode_frame`, `_decode_frame`"
        }
        f if f.starts_with("mcx_message_") => {
            "message codec and fields: `mcx_message_encode`, `_decode`, `_field`, `_type`, ..."
        }
        _ => "status texts and version: `mcx_status_str`, `mcx_version`",
    }
}

/// The library's code (`.text`) by part of the C API: the bytes only the functions of one part
/// reach through direct branches (what a firmware that calls none of them does not link), the
/// bytes several parts share, and the rest.
fn code_by_part(flash: &Flash, graph: &CallGraph) -> String {
    let symbols: Vec<&str> = flash.code.iter().map(|(s, _)| s.as_str()).collect();
    let names = demangle(symbols.join("\n").as_bytes());
    let names: Vec<&str> = names.lines().collect();
    assert_eq!(
        names.len(),
        symbols.len(),
        "c++filt gave one line per symbol"
    );
    let mut reach: BTreeMap<&str, HashSet<String>> = BTreeMap::new();
    for function in MEASURED_FUNCTIONS {
        reach
            .entry(api_part(function))
            .or_default()
            .extend(graph.reachable(function));
    }
    let mut only: BTreeMap<&str, u64> = reach.keys().map(|p| (*p, 0)).collect();
    let (mut shared, mut unreached) = (0, 0);
    for (name, (_, bytes)) in names.iter().zip(&flash.code) {
        let owners: Vec<&str> = reach
            .iter()
            .filter(|(_, r)| r.contains(*name))
            .map(|(p, _)| *p)
            .collect();
        match owners.as_slice() {
            [part] => *only.get_mut(part).expect("a part") += bytes,
            [] => unreached += bytes,
            _ => shared += bytes,
        }
    }
    let code: u64 = flash.code.iter().map(|(_, b)| b).sum();
    assert_eq!(
        only.values().sum::<u64>() + shared + unreached,
        code,
        "every byte of code in one row"
    );
    let mut rows: Vec<_> = only.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut table = String::from("| bytes | code reached only by |\n|---:|---|\n");
    for (part, bytes) in rows {
        let _ = writeln!(table, "| {} | {part} |", grouped(bytes));
    }
    let _ = writeln!(
        table,
        "| {} | two parts or more (shared) |",
        grouped(shared)
    );
    let _ = writeln!(
        table,
        "| {} | no C API function through a direct branch (called through a pointer) |",
        grouped(unreached)
    );
    table
}

fn verdict(value: u64, target: u64, limit: u64) -> &'static str {
    if value > limit {
        "**over CI limit**"
    } else if value > target {
        "over target"
    } else {
        "ok"
    }
}

struct SizeReport {
    /// `target/firmware-c/size-report.md`: the sections below and the largest library
    /// sections.
    text: String,
    /// The summary table: flash, RAM, deepest stack, against target and CI limit. README.md and
    /// docs/footprint.md carry it as the generated section `footprint-summary`.
    summary: String,
    /// Library flash by origin (docs/footprint.md, `flash-by-origin`).
    by_origin: String,
    /// Stack per C API call, painted and static (docs/footprint.md, `stack-per-call`).
    per_call: String,
    /// Library code by part of the C API (docs/footprint.md, `code-by-api-part`).
    by_part: String,
    /// Library flash in the Fig. 10.16.y.3-1 firmware (handset and gateways): the CI limit's.
    flash: u64,
    /// Library flash with the whole C API (the firmware with its gateway reboot step).
    flash_whole_api: u64,
    /// Painted stack per C API call.
    stack: BTreeMap<String, u64>,
    /// Static (call-graph) stack per C API call.
    static_stack: BTreeMap<String, u64>,
}

/// The C API calls whose painted or static stack is above `limit`, with both figures.
fn stack_over_limit(
    painted: &BTreeMap<String, u64>,
    statik: &BTreeMap<String, u64>,
    limit: u64,
) -> Vec<(String, u64, u64)> {
    painted
        .iter()
        .map(|(f, p)| (f.clone(), *p, statik.get(f).copied().unwrap_or(0)))
        .filter(|(_, p, s)| *p > limit || *s > limit)
        .collect()
}

#[test]
fn stack_limit_counts_the_painted_and_the_static_figure() {
    let map = |v: &[(&str, u64)]| -> BTreeMap<String, u64> {
        v.iter().map(|(f, b)| (f.to_string(), *b)).collect()
    };
    let painted = map(&[("a", 2048), ("b", 2049), ("c", 100)]);
    let statik = map(&[("a", 2048), ("b", 100), ("c", 2100)]);
    assert_eq!(
        stack_over_limit(&painted, &statik, 2048),
        vec![("b".to_string(), 2049, 100), ("c".to_string(), 100, 2100)]
    );
}

/// The table storage rule, from the header's constants (core/src/table.rs documents it): a
/// record takes `record_header` bytes and its strings at their length, and the index two
/// buckets per record, at least `min_storage` bytes of them.
struct TableSizes {
    handle: u64,
    min_storage: u64,
    record_header: u64,
    bucket: u64,
}

impl TableSizes {
    /// Storage bytes a record of `string_bytes` bytes of strings takes, its buckets included.
    fn per_record(&self, string_bytes: u64) -> u64 {
        self.record_header + string_bytes + 2 * self.bucket
    }

    /// `MCX_TABLE_STORAGE_LEN(records, string_bytes)`.
    fn storage_len(&self, records: u64, string_bytes: u64) -> u64 {
        records * self.per_record(string_bytes) + self.min_storage
    }

    /// Storage bytes `records` records of `string_bytes` bytes of strings take: the records and
    /// their index (`mcx_table_bytes_in_use`).
    fn in_use(&self, records: u64, string_bytes: u64) -> u64 {
        records * (self.record_header + string_bytes)
            + (2 * records * self.bucket).max(self.min_storage)
    }

    /// How many records of `string_bytes` bytes of strings `storage` bytes hold.
    fn records_in(&self, storage: u64, string_bytes: u64) -> u64 {
        (1..)
            .take_while(|r| self.in_use(*r, string_bytes) <= storage)
            .last()
            .unwrap_or(0)
    }
}

/// The figures the report derives from the header's constants are what the core's table does:
/// `records_in` counts the records of typical IDs a table over that storage takes before it
/// refuses one as full, and `storage_len` is `MCX_TABLE_STORAGE_LEN`'s (the core's) rule.
#[test]
fn table_storage_figures_match_the_core_table() {
    use mcx_migrate::table::{self, MigrationTable};
    use mcx_migrate::{
        McServiceIdRef, McSystemIdRef, Migration, MigrationUpdate, SecurityDomainInfo, TableError,
    };
    let sizes = TableSizes {
        handle: 0,
        min_storage: table::MIN_STORAGE_LEN as u64,
        record_header: table::RECORD_HEADER_LEN as u64,
        bucket: table::BUCKET_LEN as u64,
    };
    for (kms, string_bytes) in [
        (None, TYPICAL_STRING_BYTES[0]),
        (
            Some("https://kms.mc-b.example/kms"),
            TYPICAL_STRING_BYTES[1],
        ),
    ] {
        for storage in [32, 109, 110, 500, 1024, 4096] {
            let mut t = MigrationTable::new(vec![0u8; storage]).expect("storage of 32 B or more");
            let mut records = 0u64;
            loop {
                // As long as user 2's `sip:user2@mc-a.example`.
                let primary = format!("sip:u{records:04}@mc-a.example");
                let update = MigrationUpdate::Migrated(Migration {
                    primary_id: McServiceIdRef::new(&primary).unwrap(),
                    partner_system: McSystemIdRef::new("mc-b.example").unwrap(),
                    partner_id: McServiceIdRef::new("sip:visitor-0042@mc-b.example").unwrap(),
                    security_domain_info: kms.map(|k| SecurityDomainInfo::new(k).unwrap()),
                });
                match t.apply(&update) {
                    Ok(_) => records += 1,
                    Err(TableError::TableFull) => break,
                    Err(e) => panic!("{e:?}"),
                }
            }
            assert_eq!(
                sizes.records_in(storage as u64, string_bytes),
                records,
                "{storage} B of storage, {string_bytes} string bytes a record"
            );
            assert_eq!(t.len() as u64, records);
            assert_eq!(
                t.bytes_in_use() as u64,
                sizes.in_use(records, string_bytes),
                "{storage} B of storage, {records} records"
            );
        }
        for records in 0..8 {
            assert_eq!(
                sizes.storage_len(records, string_bytes),
                table::storage_len(records as usize, string_bytes as usize) as u64
            );
        }
    }
}

/// The firmware's migration table as its "ram:" line states it.
struct FirmwareTable {
    handle: u64,
    storage: u64,
    records: u64,
    string_bytes: u64,
}

/// Reads `ram: mcx_table_t H bytes (MCX_TABLE_SIZE) + storage S bytes for R records of B
/// string bytes (MCX_TABLE_STORAGE_LEN), ...` from the firmware's output.
fn firmware_table(output: &str) -> FirmwareTable {
    let line = output
        .lines()
        .find_map(|l| l.strip_prefix("ram: mcx_table_t "))
        .unwrap_or_else(|| panic!("no \"ram: mcx_table_t\" line in the output:\n{output}"));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    match numbers[..] {
        [handle, storage, records, string_bytes, ..] => FirmwareTable {
            handle,
            storage,
            records,
            string_bytes,
        },
        _ => panic!("unexpected ram line: {line}"),
    }
}

/// `bytes` as `16 293 B (15.9 KiB)`.
fn bytes_and_kib(bytes: u64) -> String {
    format!("{} B ({:.1} KiB)", grouped(bytes), bytes as f64 / 1024.0)
}

/// The first two words of `rustc --version` (`rustc 1.95.0`): the figures depend on it.
fn rustc_version() -> String {
    let output = Command::new("rustc")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run rustc: {e}"));
    check("rustc --version", &output);
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn size_report() -> &'static SizeReport {
    static REPORT: OnceLock<SizeReport> = OnceLock::new();
    REPORT.get_or_init(|| {
        let fw = firmware();
        let map = std::fs::read_to_string(&fw.map).expect("read the linker map");
        let flash = flash_from_map(&map);
        let scenario_map =
            std::fs::read_to_string(&fw.scenario_map).expect("read the scenario's linker map");
        let scenario = flash_from_map(&scenario_map);
        let stack = measured_stack(&fw.output);
        let graph = call_graph(&fw.elf);
        let header = std::fs::read_to_string(qemu::repo_root().join("include/mcx_migrate.h"))
            .expect("read include/mcx_migrate.h");
        let define = |name: &str| -> u64 {
            header
                .lines()
                .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} not in the header"))
        };
        let table = TableSizes {
            handle: define("MCX_TABLE_SIZE"),
            min_storage: define("MCX_TABLE_MIN_STORAGE_LEN"),
            record_header: define("MCX_TABLE_RECORD_HEADER_LEN"),
            bucket: define("MCX_TABLE_BUCKET_LEN"),
        };
        let fw_table = firmware_table(&fw.output);
        assert_eq!(
            (fw_table.handle, fw_table.storage),
            (
                table.handle,
                table.storage_len(fw_table.records, fw_table.string_bytes)
            ),
            "the firmware's table handle and storage against MCX_TABLE_SIZE and \
             MCX_TABLE_STORAGE_LEN({}, {})",
            fw_table.records,
            fw_table.string_bytes
        );
        let [no_kms, kms] = TYPICAL_STRING_BYTES;
        // The longest record: two MC service IDs, an MC system ID and a KMS URI, each at its
        // capacity (a migrated user's or a visitor's alike).
        let longest = 2 * define("MCX_MC_SERVICE_ID_CAPACITY")
            + define("MCX_MC_SYSTEM_ID_CAPACITY")
            + define("MCX_KMS_URI_CAPACITY");

        // Stack per call, deepest painted first, with the static walk's figure and chain.
        let mut memo = HashMap::new();
        let mut static_stack = BTreeMap::new();
        let mut per_call = String::from(
            "| C API call | painted | static | verdict | deepest static chain (frames of 128 B or more) |\n|---|---:|---:|---|---|\n",
        );
        let mut rows: Vec<_> = stack.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (function, bytes) in rows {
            let (total, path) = graph.deepest(function, &mut memo, &mut HashSet::new());
            static_stack.insert(function.clone(), total);
            let chain: Vec<String> = path
                .iter()
                .filter(|(_, frame)| *frame >= 128)
                .map(|(name, frame)| format!("`{}` {frame}", short(name)))
                .collect();
            let _ = writeln!(
                per_call,
                "| `{function}` | {bytes} B | {total} B | {} | {} |",
                verdict((*bytes).max(total), STACK_TARGET, STACK_CI_LIMIT),
                chain.join(" → ")
            );
        }
        let deepest = |figures: &BTreeMap<String, u64>| {
            figures
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(f, b)| (f.clone(), *b))
                .unwrap_or_default()
        };
        let (painted_fn, painted) = deepest(&stack);
        let (static_fn, statik) = deepest(&static_stack);

        let mut summary = String::from(
            "| measure | measured | target | CI limit | verdict |\n|---|---:|---:|---:|---|\n",
        );
        let s = &mut summary;
        let _ = writeln!(
            s,
            "| flash the library adds to the Fig. 10.16.y.3-1 firmware (handset and gateways) | {} | {} KiB | {} KiB | {} |",
            bytes_and_kib(scenario.library),
            FLASH_TARGET / 1024,
            FLASH_CI_LIMIT / 1024,
            verdict(scenario.library, FLASH_TARGET, FLASH_CI_LIMIT)
        );
        let _ = writeln!(
            s,
            "| the same, the firmware calling all {} C API functions (its gateway reboot step added) | {} | {} KiB | {} KiB | {} |",
            MEASURED_FUNCTIONS.len(),
            bytes_and_kib(flash.library),
            FLASH_WHOLE_API_TARGET / 1024,
            FLASH_WHOLE_API_CI_LIMIT / 1024,
            verdict(flash.library, FLASH_WHOLE_API_TARGET, FLASH_WHOLE_API_CI_LIMIT)
        );
        let _ = writeln!(
            s,
            "| deepest stack of a C API call, painted (`{painted_fn}`) / static (`{static_fn}`) | {painted} B / {statik} B | {STACK_TARGET} B | {STACK_CI_LIMIT} B | {} |",
            verdict(painted.max(statik), STACK_TARGET, STACK_CI_LIMIT)
        );
        let _ = writeln!(
            s,
            "| a migration table's handle (`MCX_TABLE_SIZE`) | {} B | | | |",
            grouped(table.handle)
        );
        let _ = writeln!(
            s,
            "| table storage per record of typical IDs, {no_kms} / {kms} string bytes (without / with a KMS URI) | {} B / {} B | | | |",
            table.per_record(no_kms),
            table.per_record(kms)
        );
        let _ = writeln!(
            s,
            "| records 1 KiB of table storage holds, typical IDs ({no_kms} / {kms} string bytes) | {} / {} | | | |",
            table.records_in(1024, no_kms),
            table.records_in(1024, kms)
        );
        let _ = writeln!(
            s,
            "| table storage per record / records 64 KiB hold, IDs at their capacities ({} string bytes) | {} B / {} | | | |",
            grouped(longest),
            grouped(table.per_record(longest)),
            grouped(table.records_in(64 * 1024, longest))
        );
        let _ = writeln!(
            s,
            "| static RAM of each of the firmware's tables: handle + storage (`MCX_TABLE_STORAGE_LEN({}, {})`) | {} B + {} B | | | |",
            fw_table.records,
            fw_table.string_bytes,
            grouped(fw_table.handle),
            grouped(fw_table.storage)
        );
        let _ = writeln!(
            s,
            "| `mcx_message_t` / `mcx_call_t` | {} B / {} B | | | |",
            grouped(define("MCX_MESSAGE_SIZE")),
            grouped(define("MCX_CALL_SIZE"))
        );
        let _ = writeln!(
            s,
            "\n{TARGET} on QEMU `mps2-an386`, {}, default identifier capacities; library built release (`opt-level = \"z\"`, LTO, one codegen unit).",
            rustc_version()
        );

        let mut by_origin = String::from("| bytes | origin |\n|---:|---|\n");
        let mut origins: Vec<_> = flash.by_origin.iter().collect();
        origins.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (origin, bytes) in origins {
            let _ = writeln!(by_origin, "| {} | {origin} |", grouped(*bytes));
        }

        let mut t = String::new();
        let w = &mut t;
        let _ = writeln!(w, "# mcx-migrate size report: C firmware on mps2-an386 (Cortex-M4F, {TARGET})\n");
        let _ = writeln!(w, "Library built release, opt-level \"z\", LTO, codegen-units 1, panic abort; C linked with arm-none-eabi-gcc -Os, --gc-sections, newlib (rdimon).\n");
        let _ = writeln!(w, "{summary}");
        let _ = writeln!(
            w,
            "Flash, the rest of the image: firmware C code {} B, newlib + libgcc {} B. The library's figures sum the input sections from libmcx_migrate_ffi.a that --gc-sections kept in .text and .rodata (linker map). The tables below are of the whole C API.\n",
            flash.firmware, flash.runtime
        );
        let by_part = code_by_part(&flash, &graph);
        let _ = writeln!(w, "Library flash by origin:\n\n{by_origin}");
        let _ = writeln!(w, "Library code by part of the C API:\n\n{by_part}");
        let _ = writeln!(w, "Largest library sections:\n");
        let _ = writeln!(w, "| bytes | section |\n|---:|---|");
        for (bytes, section) in &flash.largest {
            let _ = writeln!(w, "| {bytes} | `{section}` |");
        }
        let _ = writeln!(
            w,
            "\nStack per C API call: \"painted\" is measured on QEMU (the firmware fills 16 KiB below its stack pointer with 0xCCCCCCCC before each call and finds the lowest overwritten word after it; deepest over all calls of the scenario); \"static\" is the deepest branch chain in the linked code's disassembly (frames = pushed registers + `sub sp`), with its largest frames.\n"
        );
        let _ = write!(w, "{per_call}");
        SizeReport {
            text: t,
            summary,
            by_origin,
            per_call,
            by_part,
            flash: scenario.library,
            flash_whole_api: flash.library,
            stack,
            static_stack,
        }
    })
}

#[test]
fn size_report_is_complete_and_within_the_ci_limits() {
    let report = size_report();
    let path = out_dir().join("size-report.md");
    std::fs::write(&path, &report.text).expect("write target/firmware-c/size-report.md");
    println!("{}", report.text);
    // The measurement itself must be whole: every C API call measured, none beyond the painted
    // window (which would make its figure a lower bound), a plausible flash figure.
    for function in MEASURED_FUNCTIONS {
        let bytes = report.stack.get(*function).copied();
        // A leaf that only returns a static address (`mcx_version`) may push nothing.
        let least = u64::from(!LEAF_FUNCTIONS.contains(function));
        assert!(
            bytes.is_some_and(|b| b >= least && b < 16 * 1024),
            "{function}: no stack measurement in range (got {bytes:?}); output:\n{}",
            firmware().output
        );
    }
    assert!(
        report.flash > 1024 && report.flash_whole_api > report.flash,
        "library flash {} B, {} B with the whole C API: a map not parsed, or the reboot step \
         not linked",
        report.flash,
        report.flash_whole_api
    );
    let over = stack_over_limit(&report.stack, &report.static_stack, STACK_CI_LIMIT);
    assert!(
        over.is_empty(),
        "stack above the CI limit of {STACK_CI_LIMIT} B (function, painted, static): {over:?}\n{}",
        report.text
    );
    assert!(
        report.flash <= FLASH_CI_LIMIT,
        "flash of the Fig. 10.16.y.3-1 firmware {} B above the CI limit of {FLASH_CI_LIMIT} B:\n{}",
        report.flash,
        report.text
    );
    assert!(
        report.flash_whole_api <= FLASH_WHOLE_API_CI_LIMIT,
        "flash of the firmware calling the whole C API {} B above the CI limit of {FLASH_WHOLE_API_CI_LIMIT} B:\n{}",
        report.flash_whole_api,
        report.text
    );
}

/// The command that rewrites the generated footprint sections.
const BLESS_FOOTPRINT: &str = "cargo test -p mcx-migrate-tests --test firmware_c";

/// README.md's footprint table and docs/footprint.md's figures are this run's: the flash and
/// stack figures are deterministic for a given toolchain (the same code links to the same bytes
/// and QEMU runs it the same way), so any change shows here and is blessed on purpose.
#[test]
fn footprint_figures_in_the_docs_are_this_runs() {
    let report = size_report();
    let root = qemu::repo_root();
    let (readme, footprint) = (root.join("README.md"), root.join("docs/footprint.md"));
    let sections = [
        (&readme, "footprint-summary", &report.summary),
        (&footprint, "footprint-summary", &report.summary),
        (&footprint, "flash-by-origin", &report.by_origin),
        (&footprint, "stack-per-call", &report.per_call),
        (&footprint, "code-by-api-part", &report.by_part),
    ];
    let errors: Vec<String> = sections
        .iter()
        .filter_map(|(file, name, content)| {
            generated::check_section(file, name, content, BLESS_FOOTPRINT).err()
        })
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
}

/// The firmware measures every `extern "C"` function of the ffi crate, so "all N C API
/// functions" in the size report counts them all.
#[test]
fn the_firmware_measures_every_c_api_function() {
    let src = qemu::repo_root().join("ffi/src");
    let mut defined = Vec::new();
    for entry in std::fs::read_dir(&src).expect("read ffi/src") {
        let text = std::fs::read_to_string(entry.expect("an entry").path()).expect("read");
        defined.extend(text.lines().filter_map(|l| {
            let rest = l.trim_start().strip_prefix("pub extern \"C\" fn ")?;
            Some(rest.split('(').next()?.trim().to_owned())
        }));
    }
    defined.sort();
    let mut measured: Vec<String> = MEASURED_FUNCTIONS.iter().map(|f| f.to_string()).collect();
    measured.sort();
    assert_eq!(
        defined, measured,
        "MEASURED_FUNCTIONS against ffi/src's extern \"C\" functions"
    );
}

// ---- panic-freedom proof (issue 7) --------------------------------------------------------

/// What the `panic-never` feature's panic handler calls and nothing defines.
const PANIC_NEVER_SYMBOL: &str = "mcx_panic_path_reachable";
/// Rust core library functions that end in the panic handler: a branch to one is a panic path.
fn is_panic_entry(name: &str) -> bool {
    name.starts_with("core::panicking::")
        || name.starts_with("core::slice::index::slice_")
        || name.starts_with("core::str::slice_error_fail")
        || name.starts_with("core::option::unwrap_failed")
        || name.starts_with("core::option::expect_failed")
        || name.starts_with("core::result::unwrap_failed")
        || name.contains("rust_begin_unwind")
}

/// Functions of the linked firmware that branch to a panic entry: (caller, panic entries).
/// Monomorphisations that share a short name share a row: their entries are merged, not
/// overwritten.
fn panic_paths(graph: &CallGraph) -> BTreeMap<String, Vec<String>> {
    let mut paths: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (caller, callees) in graph.calls.iter().filter(|(c, _)| !is_panic_entry(c)) {
        let entries: Vec<String> = callees
            .iter()
            .filter(|c| is_panic_entry(c))
            .map(|c| short(c))
            .collect();
        if !entries.is_empty() {
            paths.entry(short(caller)).or_default().extend(entries);
        }
    }
    for entries in paths.values_mut() {
        entries.sort();
        entries.dedup();
    }
    paths
}

/// Builds the staticlib with `--no-default-features --features panic-never` and links the
/// same C firmware with it (every C API function referenced, `--gc-sections`). The link is
/// the proof: it fails with an undefined `mcx_panic_path_reachable` if a panic path survived.
#[test]
fn panic_never_firmware_links_so_no_panic_path_is_reachable_from_c() {
    qemu::require_tool("arm-none-eabi-gcc", ARM_GCC_INSTALL);
    let target_dir = qemu::repo_root().join("target/firmware-c-panic-never");
    let lib_dir = build_staticlib_in(
        &target_dir,
        &["--no-default-features", "--features", "panic-never"],
    );
    let link = make_firmware(&lib_dir, &target_dir.join("fw"), &[]);
    let stderr = String::from_utf8_lossy(&link.stderr);
    let undefined: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("undefined reference"))
        .collect();
    // The proof's own machinery: a failed link fails only for the panic handler's symbol.
    assert!(
        link.status.success()
            || (!undefined.is_empty() && undefined.iter().all(|l| l.contains(PANIC_NEVER_SYMBOL))),
        "the panic-never firmware failed to link for another reason:\n{stderr}"
    );
    // The paths, named from the default build's disassembly (same code, a looping handler).
    let paths = panic_paths(&call_graph(&firmware().elf));
    let mut report = String::new();
    let _ = writeln!(
        report,
        "# Panic-freedom proof (panic-never build of the C firmware)\n\nlink: {}\n",
        if link.status.success() {
            "succeeds: no panic path is reachable from the C API"
        } else {
            "fails: panic paths remain"
        }
    );
    let _ = writeln!(
        report,
        "| function with a panic path | branches to |\n|---|---|"
    );
    for (caller, entries) in &paths {
        let _ = writeln!(report, "| `{caller}` | `{}` |", entries.join("`, `"));
    }
    std::fs::write(out_dir().join("panic-paths.md"), &report).expect("write panic-paths.md");
    println!("{report}");
    assert_eq!(
        link.status.success(),
        paths.is_empty(),
        "the link and the disassembly disagree about panic paths:\n{report}\n{stderr}"
    );
    // The proof: no panic path is reachable from any C API function.
    assert!(link.status.success(), "panic paths remain:\n{report}");
}
