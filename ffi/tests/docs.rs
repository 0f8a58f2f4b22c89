//! Generated sections of docs/c-api.md: the status code table (from [`STATUS_TABLE`], the one
//! mapping `mcx_status_str` reads) and the storage sizes (from the constants the header
//! publishes). Each test fails when its section drifts; rewrite them with
//! `MCX_BLESS=1 cargo test -p mcx-migrate-ffi --test docs`.

use mcx_testkit::generated;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mcx_migrate_ffi::{
    MCX_CALL_MAX_REDIRECTIONS, MCX_CALL_SIZE, MCX_KMS_URI_CAPACITY, MCX_MAX_ENCODED_LEN,
    MCX_MAX_FRAME_LEN, MCX_MAX_STRING_LEN, MCX_MC_SERVICE_ID_CAPACITY, MCX_MC_SYSTEM_ID_CAPACITY,
    MCX_MESSAGE_SIZE, MCX_TABLE_BUCKET_LEN, MCX_TABLE_MIN_STORAGE_LEN, MCX_TABLE_RECORD_HEADER_LEN,
    MCX_TABLE_SIZE, MCX_TABLE_SNAPSHOT_OVERHEAD, STATUS_TABLE,
};

const BLESS: &str = "cargo test -p mcx-migrate-ffi --test docs";

fn c_api_md() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/c-api.md")
}

#[test]
fn status_code_table_is_current() {
    let mut table = String::from("| code | name | meaning |\n|---:|---|---|\n");
    for entry in STATUS_TABLE {
        let _ = writeln!(
            table,
            "| {} | `{}` | {} |",
            entry.code,
            entry.name,
            entry.description.trim_end_matches('\0')
        );
    }
    generated::check_section(&c_api_md(), "status-codes", &table, BLESS)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn storage_sizes_are_current() {
    let mut table = String::from("| constant | value | what |\n|---|---:|---|\n");
    let rows: &[(&str, usize, &str)] = &[
        (
            "MCX_TABLE_SIZE",
            MCX_TABLE_SIZE,
            "bytes of `mcx_table_t`, a migration table's handle (its records live in the storage given to `mcx_table_init`)",
        ),
        (
            "MCX_TABLE_MIN_STORAGE_LEN",
            MCX_TABLE_MIN_STORAGE_LEN,
            "smallest table storage: the smallest index, the one the first record gets",
        ),
        (
            "MCX_TABLE_RECORD_HEADER_LEN",
            MCX_TABLE_RECORD_HEADER_LEN,
            "table storage per record besides its strings",
        ),
        (
            "MCX_TABLE_BUCKET_LEN",
            MCX_TABLE_BUCKET_LEN,
            "bytes of an index bucket; a table keeps two per record",
        ),
        (
            "MCX_TABLE_SNAPSHOT_OVERHEAD",
            MCX_TABLE_SNAPSHOT_OVERHEAD,
            "`MCX_TABLE_MAX_SNAPSHOT_LEN(storage_len)` is `storage_len` plus this",
        ),
        (
            "MCX_MESSAGE_SIZE",
            MCX_MESSAGE_SIZE,
            "bytes of `mcx_message_t`: a request, redirection or migration update, kept as its encoding (below)",
        ),
        (
            "MCX_CALL_SIZE",
            MCX_CALL_SIZE,
            "bytes of `mcx_call_t`: one outgoing call",
        ),
        (
            "MCX_CALL_MAX_REDIRECTIONS",
            MCX_CALL_MAX_REDIRECTIONS,
            "redirections a call follows",
        ),
        (
            "MCX_MAX_ENCODED_LEN",
            MCX_MAX_ENCODED_LEN,
            "bytes that always hold an encoded message",
        ),
        (
            "MCX_MAX_FRAME_LEN",
            MCX_MAX_FRAME_LEN,
            "bytes that always hold a COBS frame of a message",
        ),
        (
            "MCX_MAX_STRING_LEN",
            MCX_MAX_STRING_LEN,
            "bytes of a C string argument read at most, without its NUL",
        ),
        (
            "MCX_MC_SERVICE_ID_CAPACITY",
            MCX_MC_SERVICE_ID_CAPACITY,
            "bytes of the longest MC service ID accepted",
        ),
        (
            "MCX_MC_SYSTEM_ID_CAPACITY",
            MCX_MC_SYSTEM_ID_CAPACITY,
            "bytes of the longest MC system identity accepted",
        ),
        (
            "MCX_KMS_URI_CAPACITY",
            MCX_KMS_URI_CAPACITY,
            "bytes of the longest KMS URI accepted",
        ),
    ];
    for (name, value, what) in rows {
        let _ = writeln!(
            table,
            "| `{name}` | {} | {what} |",
            generated::grouped(*value as u64)
        );
    }
    generated::check_section(&c_api_md(), "storage-sizes", &table, BLESS)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Every `extern "C"` function of the crate is named in docs/c-api.md, so the function table
/// there cannot silently fall behind the header.
#[test]
fn every_c_api_function_is_named_in_the_c_api_doc() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let doc = std::fs::read_to_string(c_api_md()).expect("read docs/c-api.md");
    let mut functions = Vec::new();
    for entry in std::fs::read_dir(&src).expect("read ffi/src") {
        let path = entry.expect("a directory entry").path();
        let text = std::fs::read_to_string(&path).expect("read a source file");
        for line in text.lines() {
            if let Some(rest) = line.trim_start().strip_prefix("pub extern \"C\" fn ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                functions.push(name);
            }
        }
    }
    assert!(functions.len() > 20, "found only {functions:?} in ffi/src");
    let missing: Vec<&String> = functions
        .iter()
        .filter(|f| !doc.contains(&format!("`{f}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/c-api.md does not name these C API functions (as `name`): {missing:?}"
    );
    // And the other way round: every `mcx_name` it mentions that is not a type (`_t`, or an
    // enum of the header) or a Rust crate name is one.
    let header = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/mcx_migrate.h"),
    )
    .expect("read include/mcx_migrate.h");
    let enums: Vec<&str> = header
        .lines()
        .filter_map(|l| l.strip_prefix("enum "))
        .map(str::trim)
        .collect();
    assert!(
        enums.contains(&"mcx_status"),
        "no enums found in the header"
    );
    let unknown: Vec<&str> = doc
        .match_indices("`mcx_")
        .filter_map(|(at, _)| {
            let name = doc[at + 1..].split('`').next()?;
            let plain = name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            let rust_crate = matches!(name, "mcx_migrate" | "mcx_migrate_ffi");
            let enum_type = enums.contains(&name);
            (plain && !name.ends_with("_t") && !rust_crate && !enum_type).then_some(name)
        })
        .filter(|name| !functions.iter().any(|f| f == name))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/c-api.md names functions ffi/src does not define: {unknown:?}"
    );
}

/// The crate docs say `unsafe` code is allowed in the `abi` module only: the crate root denies
/// it, and no other file of `ffi/src` allows it back.
#[test]
fn only_abi_allows_unsafe_code() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("read ffi/src/lib.rs");
    assert!(
        lib.contains("#![deny(unsafe_code)]"),
        "lib.rs no longer denies unsafe code"
    );
    let mut allowing = Vec::new();
    for entry in std::fs::read_dir(&src).expect("read ffi/src") {
        let path = entry.expect("a directory entry").path();
        let text = std::fs::read_to_string(&path).expect("read a source file");
        // Any attribute that lifts the deny: allow, expect or warn, alone or in a list.
        let lifts = ["allow(", "expect(", "warn("].iter().any(|attr| {
            text.match_indices(attr).any(|(at, _)| {
                text[at..]
                    .split(')')
                    .next()
                    .is_some_and(|args| args.contains("unsafe_code"))
            })
        });
        if lifts {
            allowing.push(
                path.file_name()
                    .expect("a file name")
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    assert_eq!(
        allowing,
        ["abi.rs"],
        "files of ffi/src that allow unsafe code"
    );
}
