//! mcx-migrate against what users would use instead, side by side in one run.
//!
//! `cargo bench -p mcx-benches` (about two minutes on two cores); one group:
//! `cargo bench -p mcx-benches -- decode`. Groups:
//!
//! - `encode/…`, `decode/…`: one private call redirection, with and without security domain
//!   information: mcx-migrate's wire format (postcard) vs the stage-3-style XML body with
//!   quick-xml vs serde_json vs a `memcpy` of the same byte count (the floor); decode also
//!   times postcard alone, without identifier validation, to show what validation costs.
//! - `server`: decode the private call request, decide (§10.16.5.3 steps 2–3), encode the
//!   redirection: bytes to bytes.
//! - `client`: decode the redirection, handle it (steps 3, 5), encode the new request.
//! - `table_lookup/…`, `table_update/…`: the migration table at N = 16, 256, 4096
//!   (`fixtures::TABLE_SIZES`; full: N records in storage sized for N by `table::storage_len`)
//!   vs `std::collections::HashMap` with the same keys and records (owned strings); 64 keys
//!   (`fixtures::KEYS_PER_ITER`) spread over the table per iteration.
//!   Full tables, plus half-full ones (N / 2 records in the same storage) to show what free
//!   storage changes.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, BatchSize, BenchmarkId, Criterion, Throughput};
use mcx_benches::fixtures::{
    hash_map, member, member_primary, redirection, request, table, table_filled, Member,
    MemberRecord, END_TO_END_MEMBERS, KEYS_PER_ITER, TABLE_SIZES,
};
use mcx_benches::heap::HeapRedirection;
use mcx_benches::sizes::{RecordSizes, WireSizes};
use mcx_benches::{json, xml};
use mcx_migrate::client::PrivateCall;
use mcx_migrate::server::{decide, Decision};
use mcx_migrate::wire::{REDIRECTION_MAX_ENCODED_LEN, REQUEST_MAX_ENCODED_LEN};
use mcx_migrate::{Migration, MigrationUpdate, PrivateCallRedirection, PrivateCallRequest};

/// The variants of the redirection benchmarked.
const VARIANTS: [(&str, bool); 2] = [("with_sdi", true), ("without_sdi", false)];

fn encode(c: &mut Criterion) {
    for (name, with_sdi) in VARIANTS {
        let r = redirection(with_sdi);
        let heap = HeapRedirection::from(&r);
        let sizes = WireSizes::of(&r);
        let mut g = c.benchmark_group(format!("encode/{name}"));
        let mut buf = [0u8; REDIRECTION_MAX_ENCODED_LEN];
        g.bench_function("mcx-migrate", |b| {
            b.iter(|| black_box(&r).encode(black_box(&mut buf)))
        });
        let mut out = Vec::with_capacity(4096);
        g.bench_function("xml quick-xml", |b| {
            b.iter(|| {
                out.clear();
                xml::write(black_box(&heap), &mut out)
            })
        });
        g.bench_function("json serde_json", |b| {
            b.iter(|| {
                out.clear();
                json::write(black_box(&heap), &mut out)
            })
        });
        memcpy_floor(&mut g, sizes);
        g.finish();
    }
}

/// `memcpy` of as many bytes as mcx-migrate's encoding (the floor) and as the XML body.
fn memcpy_floor(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    s: WireSizes,
) {
    for (label, n) in [
        ("memcpy postcard bytes", s.postcard),
        ("memcpy xml bytes", s.xml),
    ] {
        let src = vec![0x5au8; n];
        let mut dst = vec![0u8; n];
        g.bench_function(label, |b| {
            b.iter(|| black_box(&mut dst[..]).copy_from_slice(black_box(&src[..])))
        });
    }
}

/// The layout of [`PrivateCallRedirection`] with plain `&str` for its identifiers: what
/// postcard decodes when nothing is validated.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct UnvalidatedRedirection<'a> {
    service_kind: mcx_migrate::ServiceKind,
    calling_party: &'a str,
    target_primary: &'a str,
    target_migrated: &'a str,
    e2ee_required: bool,
    security_domain_info: Option<&'a str>,
    reason: Option<mcx_migrate::RedirectionReason>,
}

fn decode(c: &mut Criterion) {
    for (name, with_sdi) in VARIANTS {
        let r = redirection(with_sdi);
        let heap = HeapRedirection::from(&r);
        let sizes = WireSizes::of(&r);
        let mut buf = [0u8; REDIRECTION_MAX_ENCODED_LEN];
        let n = r.encode(&mut buf).expect("encode");
        let encoded = &buf[..n];
        let mut xml_body = Vec::new();
        xml::write(&heap, &mut xml_body).expect("xml");
        let mut json_body = Vec::new();
        json::write(&heap, &mut json_body).expect("json");

        let mut g = c.benchmark_group(format!("decode/{name}"));
        // A view of the bytes: the message borrows its identifiers from them (zero copy,
        // validated).
        g.bench_function("mcx-migrate", |b| {
            b.iter(|| PrivateCallRedirection::decode(black_box(encoded)))
        });
        // Diagnostic: postcard alone, without the envelope check and identifier validation
        // (the message's layout with plain strings).
        g.bench_function("postcard only, unvalidated", |b| {
            b.iter(|| postcard::from_bytes::<UnvalidatedRedirection>(black_box(&encoded[2..])))
        });
        g.bench_function("xml quick-xml", |b| {
            b.iter(|| xml::parse(black_box(&xml_body)))
        });
        g.bench_function("json serde_json", |b| {
            b.iter(|| json::parse(black_box(&json_body)))
        });
        memcpy_floor(&mut g, sizes);
        g.finish();
    }
}

/// Server A, bytes to bytes: a private call request in, the private call redirection out.
fn server(c: &mut Criterion) {
    let t = table(END_TO_END_MEMBERS);
    let mut g = c.benchmark_group("server");
    for (name, e2ee) in VARIANTS {
        let mut request_bytes = [0u8; REQUEST_MAX_ENCODED_LEN];
        let n = request(e2ee).encode(&mut request_bytes).expect("encode");
        let mut out = [0u8; REDIRECTION_MAX_ENCODED_LEN];
        g.bench_function(format!("decode+decide+encode/{name}"), |b| {
            b.iter(|| {
                let req = PrivateCallRequest::decode(black_box(&request_bytes[..n]))?;
                match decide(&t, &req) {
                    Decision::Redirect(r) => r
                        .encode(&mut out)
                        .map_err(|_| mcx_migrate::DecodeError::Malformed),
                    _ => Ok(0),
                }
            })
        });
    }
    let req = request(true);
    g.bench_function("decide only", |b| b.iter(|| decide(&t, black_box(&req))));
    g.finish();
}

/// Client 1, bytes to bytes: the redirection in, the request to the partner-assigned ID out.
fn client(c: &mut Criterion) {
    let mut g = c.benchmark_group("client");
    for (name, e2ee) in VARIANTS {
        let mut bytes = [0u8; REDIRECTION_MAX_ENCODED_LEN];
        let n = redirection(e2ee).encode(&mut bytes).expect("encode");
        let call: PrivateCall = PrivateCall::start(request(e2ee));
        let mut out = [0u8; REQUEST_MAX_ENCODED_LEN];
        g.bench_function(format!("decode+on_redirection+encode/{name}"), |b| {
            b.iter_batched_ref(
                || call.clone(),
                |call| {
                    let redir = PrivateCallRedirection::decode(black_box(&bytes[..n])).ok()?;
                    call.on_redirection(&redir).ok()?.encode(&mut out).ok()
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

/// `KEYS_PER_ITER` member indices spread evenly over `0..n`.
fn spread(n: usize) -> Vec<usize> {
    (0..KEYS_PER_ITER).map(|k| k * n / KEYS_PER_ITER).collect()
}

fn lookup_at(c: &mut Criterion, n: usize) {
    let mut g = c.benchmark_group("table_lookup");
    g.throughput(Throughput::Elements(KEYS_PER_ITER as u64));
    // Full (the capacity a deployment picks is what it fills) and half full (to show what the
    // load factor costs): hits and misses when full, hits when half full.
    for (fill, label, kinds) in [
        (n, "", &["hit", "miss"][..]),
        (n / 2, ", half full", &["hit"][..]),
    ] {
        let t = table_filled(n, fill);
        let m = hash_map(fill);
        for &kind in kinds {
            let keys: Vec<String> = spread(fill)
                .into_iter()
                .map(|i| member_primary(if kind == "hit" { i } else { n + i }))
                .collect();
            g.bench_with_input(
                BenchmarkId::new(format!("MigrationTable {kind}{label}"), n),
                &keys,
                |b, keys| {
                    b.iter(|| {
                        for k in keys.iter() {
                            black_box(t.lookup(black_box(k.as_str())));
                        }
                    })
                },
            );
            g.bench_with_input(
                BenchmarkId::new(format!("HashMap {kind}{label}"), n),
                &keys,
                |b, keys| {
                    b.iter(|| {
                        for k in keys.iter() {
                            black_box(m.get(black_box(k.as_str())));
                        }
                    })
                },
            );
        }
    }
    g.finish();
}

/// What a `HashMap` user writes for the two updates benchmarked: build the record (owned
/// strings) from the update, replace it in place or insert it under an owned key; remove on
/// return.
fn std_apply(map: &mut HashMap<String, MemberRecord>, update: &MigrationUpdate<'_>) {
    match update {
        MigrationUpdate::Migrated(Migration {
            primary_id,
            partner_system,
            partner_id,
            security_domain_info,
        }) => {
            let record = MemberRecord {
                partner_system: partner_system.as_str().to_owned(),
                partner_id: partner_id.as_str().to_owned(),
                kms_uri: security_domain_info
                    .as_ref()
                    .map(|s| s.kms_uri.as_str().to_owned()),
            };
            match map.get_mut(primary_id.as_str()) {
                Some(existing) => *existing = record,
                None => {
                    map.insert(primary_id.as_str().to_owned(), record);
                }
            }
        }
        MigrationUpdate::Returned { primary_id } => {
            map.remove(primary_id.as_str());
        }
        _ => unreachable!("only Migrated and Returned are benchmarked"),
    }
}

/// `KEYS_PER_ITER` members spread over `0..fill`.
fn members(fill: usize) -> Vec<Member> {
    spread(fill).into_iter().map(member).collect()
}

/// Updates replacing the records of `members`.
fn replacements(members: &[Member]) -> Vec<MigrationUpdate<'_>> {
    members.iter().map(Member::update).collect()
}

/// Pairs of updates for each of `members`: it returns (its record is removed), then migrates
/// again (inserted).
fn returns_and_migrations(members: &[Member]) -> Vec<MigrationUpdate<'_>> {
    members
        .iter()
        .flat_map(|m| [m.returned(), m.update()])
        .collect()
}

fn update_at(c: &mut Criterion, n: usize) {
    let mut g = c.benchmark_group("table_update");
    g.throughput(Throughput::Elements(KEYS_PER_ITER as u64));
    let (full, half) = (members(n), members(n / 2));
    let cases = [
        (n, "replace", replacements(&full)),
        (n, "remove+insert", returns_and_migrations(&full)),
        (
            n / 2,
            "remove+insert, half full",
            returns_and_migrations(&half),
        ),
    ];
    for (fill, kind, updates) in &cases {
        let mut t = table_filled(n, *fill);
        let mut m = hash_map(*fill);
        g.bench_function(BenchmarkId::new(format!("MigrationTable {kind}"), n), |b| {
            b.iter(|| {
                for u in updates.iter() {
                    let _ = black_box(t.apply(black_box(u)));
                }
            })
        });
        g.bench_function(BenchmarkId::new(format!("HashMap {kind}"), n), |b| {
            b.iter(|| {
                for u in updates.iter() {
                    std_apply(&mut m, black_box(u));
                }
            })
        });
        assert_eq!(t.len(), *fill, "updates keep the table's fill");
        assert_eq!(m.len(), *fill, "updates keep the map's fill");
    }
    g.finish();
}

fn table_lookup(c: &mut Criterion) {
    for n in TABLE_SIZES {
        lookup_at(c, n);
    }
}

fn table_update(c: &mut Criterion) {
    for n in TABLE_SIZES {
        update_at(c, n);
    }
}

criterion_group! {
    name = benches;
    // Short runs: the whole suite takes about two minutes on two cores.
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200));
    targets = encode, decode, server, client, table_lookup, table_update
}

fn main() {
    for (name, with_sdi) in VARIANTS {
        let s = WireSizes::of(&redirection(with_sdi));
        println!(
            "bytes on the wire, redirection {name}: mcx-migrate {} (COBS frame {}), JSON {}, XML {} (mcx-migrate = {:.3} of XML)",
            s.postcard,
            s.postcard_frame,
            s.json,
            s.xml,
            s.postcard as f64 / s.xml as f64
        );
    }
    for (ids, string_bytes, per_record, per_kib, _) in RecordSizes::markdown_rows() {
        println!(
            "migration table, IDs {ids}: {string_bytes} string bytes, {per_record} B of storage per record, {per_kib} records per KiB"
        );
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
