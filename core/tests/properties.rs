//! Property tests: wire round trips, decoding arbitrary bytes, and the migration table against
//! the test kit's model of its documented policy (`mcx_testkit::table_model`, the one the fuzz
//! target `table_model` runs too), bytes accounted as its module docs say (record need, index
//! buckets, eviction of the oldest departed visitors).

// Test code: the workspace's no-panic lints (root Cargo.toml) are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mcx_migrate::table::{self, Applied, Change, MigrationTable, Record};
use mcx_migrate::wire::{self, MAX_ENCODED_LEN, MAX_FRAME_LEN};
use mcx_migrate::*;
use mcx_testkit::table_model::{buckets_for, OwnedFields, TableModel, Update, BUCKET, HEADER};
use proptest::prelude::*;

fn service_id() -> impl Strategy<Value = McServiceId> {
    ("(sip|sips|tel):[a-z0-9.@+-]{1,40}").prop_map(|s| McServiceId::new(&s).unwrap())
}

fn system_id() -> impl Strategy<Value = McSystemId> {
    "[a-z][a-z0-9]{0,10}(\\.[a-z][a-z0-9]{0,10}){0,3}".prop_map(|s| McSystemId::new(&s).unwrap())
}

fn sdi() -> impl Strategy<Value = Option<SecurityDomainInfo>> {
    proptest::option::of(
        "https://[a-z.]{1,30}/[a-z]{0,10}".prop_map(|s| SecurityDomainInfo::new(&s).unwrap()),
    )
}

fn kind() -> impl Strategy<Value = ServiceKind> {
    prop::sample::select(ServiceKind::ALL.to_vec())
}

fn request() -> impl Strategy<Value = PrivateCallRequest> {
    (kind(), service_id(), service_id(), any::<bool>(), sdi()).prop_map(|(k, c, t, e, s)| {
        PrivateCallRequest {
            service_kind: k,
            calling_party: c,
            target: t,
            e2ee_required: e,
            security_domain_info: s,
        }
    })
}

fn redirection() -> impl Strategy<Value = PrivateCallRedirection> {
    (
        kind(),
        (service_id(), service_id(), service_id()),
        any::<bool>(),
        sdi(),
        proptest::option::of(prop::sample::select(vec![
            RedirectionReason::TargetMigrated,
            RedirectionReason::TargetNoLongerServed,
        ])),
    )
        .prop_map(|(k, (c, p, m), e, s, r)| PrivateCallRedirection {
            service_kind: k,
            calling_party: c,
            target_primary: p,
            target_migrated: m,
            // Keep the NOTE's rule: E2EE only with security domain information.
            e2ee_required: e && s.is_some(),
            security_domain_info: s,
            reason: r,
        })
}

/// Updates over a small key space so that keys collide, records are replaced, depart and get
/// evicted.
fn update() -> impl Strategy<Value = MigrationUpdate> {
    let key = (0u8..12).prop_map(|n| McServiceId::new(&format!("sip:u{n}@a.example")).unwrap());
    prop_oneof![
        (key.clone(), system_id(), service_id(), sdi()).prop_map(|(p, s, i, d)| {
            MigrationUpdate::Migrated {
                primary_id: p,
                partner_system: s,
                partner_id: i,
                security_domain_info: d,
            }
        }),
        (key.clone(), system_id(), service_id(), sdi()).prop_map(|(p, s, i, d)| {
            MigrationUpdate::MovedOn {
                primary_id: p,
                partner_system: s,
                partner_id: i,
                security_domain_info: d,
            }
        }),
        key.clone()
            .prop_map(|p| MigrationUpdate::Returned { primary_id: p }),
        (key.clone(), service_id(), system_id(), sdi()).prop_map(|(l, p, s, d)| {
            MigrationUpdate::VisitorRegistered {
                local_id: l,
                primary_id: p,
                primary_system: s,
                primary_security_domain_info: d,
            }
        }),
        key.prop_map(|l| MigrationUpdate::VisitorDeparted { local_id: l }),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        request().prop_map(Message::Request),
        redirection().prop_map(Message::Redirection),
        update().prop_map(Message::MigrationUpdate),
    ]
}

proptest! {
    #[test]
    fn encode_then_decode_round_trips(msg in message()) {
        let mut buf = [0u8; MAX_ENCODED_LEN];
        let n = wire::encode_message(&msg, &mut buf).unwrap();
        let view = wire::decode_message(&buf[..n]).unwrap();
        prop_assert_eq!(view, msg.as_view());
        prop_assert_eq!(view.to_owned(), msg.clone());
        let mut frame = [0u8; MAX_FRAME_LEN];
        let f = match &msg {
            Message::Request(m) => m.encode_frame(&mut frame),
            Message::Redirection(m) => m.encode_frame(&mut frame),
            Message::MigrationUpdate(m) => m.encode_frame(&mut frame),
        }.unwrap();
        prop_assert_eq!(wire::decode_frame(&mut frame[..f]).unwrap().to_owned(), msg);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_accepted_ones_are_valid(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(view) = wire::decode_message(&bytes) {
            prop_assert!(view.validate().is_ok());
            let owned = view.to_owned();
            // The encoding is canonical: re-encoding gives the same bytes.
            let mut buf = [0u8; MAX_ENCODED_LEN];
            let n = wire::encode_message(&owned, &mut buf).unwrap();
            prop_assert_eq!(&buf[..n], &bytes[..]);
        }
        let _ = PrivateCallRedirection::decode(&bytes);
        let _ = PrivateCallRequestView::decode(&bytes);
        let _ = MigrationUpdate::decode(&bytes);
        let mut copy = bytes.clone();
        let _ = wire::decode_frame(&mut copy);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_header_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400), ty in 1u8..=3) {
        let mut bytes = vec![wire::FORMAT_VERSION, ty];
        bytes.extend(body);
        let _ = wire::decode_message(&bytes);
    }
}

#[test]
fn non_canonical_varint_is_malformed() {
    let r = PrivateCallRequest {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: McServiceId::new("sip:a@b").unwrap(),
        target: McServiceId::new("sip:c@d").unwrap(),
        e2ee_required: false,
        security_domain_info: None,
    };
    let mut buf = [0u8; 64];
    let n = r.encode(&mut buf).unwrap();
    let mut bytes = buf[..n].to_vec();
    // The calling party's length, 7, written as the two-byte varint 0x87 0x00.
    assert_eq!(bytes[3], 7);
    bytes[3] = 0x87;
    bytes.insert(4, 0x00);
    assert_eq!(wire::decode_message(&bytes), Err(DecodeError::Malformed));
    assert_eq!(
        PrivateCallRequest::decode(&bytes),
        Err(DecodeError::Malformed)
    );
}

// ---------------------------------------------------------------------------------------------
// The migration table against a model of its documented policy, bytes included.
// ---------------------------------------------------------------------------------------------

/// The table's keys: few, so that updates collide, replace, depart and get evicted, and of
/// lengths from 9 to 42 bytes, so that records differ in size and holes matter.
fn pool_key(n: usize) -> String {
    format!("sip:u{n}@{}", "k".repeat(1 + 3 * n))
}

const POOL: usize = 12;

fn table_key() -> impl Strategy<Value = McServiceId> + Clone {
    (0..POOL).prop_map(|n| McServiceId::new(&pool_key(n)).unwrap())
}

/// Mostly short values, sometimes long ones: a record needs from about 30 to about 580 bytes, so
/// one long record may need several departed visitors evicted, or not fit at all.
fn table_service_id() -> impl Strategy<Value = McServiceId> {
    prop_oneof![
        6 => "(sip|tel):[a-z0-9.@+-]{1,30}",
        1 => "(sip|tel):[a-z0-9.@+-]{60,120}",
    ]
    .prop_map(|s| McServiceId::new(&s).unwrap())
}

fn table_system_id() -> impl Strategy<Value = McSystemId> {
    prop_oneof![
        6 => "[a-z][a-z0-9]{0,8}(\\.[a-z][a-z0-9]{0,6}){0,2}",
        1 => "[a-z]{40,63}(\\.[a-z]{40,63}){0,2}",
    ]
    .prop_map(|s| McSystemId::new(&s).unwrap())
}

fn table_sdi() -> impl Strategy<Value = Option<SecurityDomainInfo>> {
    proptest::option::of(
        prop_oneof![
            6 => "https://[a-z.]{1,16}/[a-z]{0,8}",
            1 => "https://[a-z.]{60,110}/[a-z]{0,8}",
        ]
        .prop_map(|s| SecurityDomainInfo::new(&s).unwrap()),
    )
}

/// Updates of the pool's keys, weighted so that visitors come, depart and are evicted.
fn table_update() -> impl Strategy<Value = MigrationUpdate> {
    let key = table_key();
    prop_oneof![
        3 => (key.clone(), table_system_id(), table_service_id(), table_sdi()).prop_map(
            |(p, s, i, d)| MigrationUpdate::Migrated {
                primary_id: p,
                partner_system: s,
                partner_id: i,
                security_domain_info: d,
            }
        ),
        2 => (key.clone(), table_system_id(), table_service_id(), table_sdi()).prop_map(
            |(p, s, i, d)| MigrationUpdate::MovedOn {
                primary_id: p,
                partner_system: s,
                partner_id: i,
                security_domain_info: d,
            }
        ),
        2 => key.clone().prop_map(|p| MigrationUpdate::Returned { primary_id: p }),
        4 => (key.clone(), table_service_id(), table_system_id(), table_sdi()).prop_map(
            |(l, p, s, d)| MigrationUpdate::VisitorRegistered {
                local_id: l,
                primary_id: p,
                primary_system: s,
                primary_security_domain_info: d,
            }
        ),
        3 => key.prop_map(|l| MigrationUpdate::VisitorDeparted { local_id: l }),
    ]
}

/// One step of a sequence run on a table and on the model.
#[derive(Debug, Clone)]
enum Step {
    /// Apply the update to both.
    Update(Box<MigrationUpdate>),
    /// Snapshot the table and restore it into a table over `storage_len` bytes at `offset` in its
    /// buffer (any alignment); go on with that table when it holds the records.
    Restore { storage_len: usize, offset: usize },
}

fn step(max_restore_len: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        14 => table_update().prop_map(|u| Step::Update(Box::new(u))),
        1 => (32..=max_restore_len, 0usize..8)
            .prop_map(|(storage_len, offset)| Step::Restore { storage_len, offset }),
    ]
}

/// What a run went through, to check that the runs reach the paths they are meant to.
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    evictions: usize,
    /// Updates that evicted more than one record.
    multiple_evictions: usize,
    table_full: usize,
    removed: usize,
    /// Writes after which fewer than 16 bytes of the storage were free.
    tight: usize,
    restored: usize,
    restore_too_small: usize,
}

/// The kit's model of the documented policy, on the pool's keys.
type Model = TableModel<OwnedFields, POOL>;

/// The pool slot of a table key.
fn slot(key: &str) -> usize {
    (0..POOL).find(|&n| pool_key(n) == key).unwrap()
}

/// Applies `u` to the model.
fn model_apply(model: &mut Model, u: &MigrationUpdate) -> Result<Applied, TableError> {
    let (key, update) = Update::of(u);
    model.apply(slot(key), key.len(), update)
}

/// The table's records as text, sorted by key: what must not change when an operation fails.
fn owned_contents<S: AsRef<[u8]> + AsMut<[u8]>>(t: &MigrationTable<S>) -> Vec<(String, String)> {
    let mut v: Vec<_> = t
        .iter()
        .map(|(k, r)| (k.as_str().to_string(), format!("{r:?}")))
        .collect();
    v.sort();
    v
}

/// The whole table agrees with the model: every record (and no other) by iteration, every pool
/// key by lookup, the record count and the bytes in use.
fn agrees<S: AsRef<[u8]> + AsMut<[u8]>>(
    t: &MigrationTable<S>,
    m: &Model,
) -> Result<(), TestCaseError> {
    let mut got: Vec<(&str, Record<'_>)> = t.iter().map(|(k, r)| (k.as_str(), r)).collect();
    got.sort_by_key(|(k, _)| *k);
    let keys: Vec<String> = (0..POOL).map(pool_key).collect();
    let mut want: Vec<(&str, Record<'_>)> = m
        .iter()
        .map(|(k, r)| (keys[k].as_str(), r.as_record()))
        .collect();
    want.sort_by_key(|(k, _)| *k);
    prop_assert_eq!(got, want, "iter");
    for n in 0..POOL {
        let key = pool_key(n);
        prop_assert_eq!(t.lookup(&key), m.record(n), "lookup {}", key);
    }
    prop_assert_eq!(t.len(), m.len());
    prop_assert_eq!(t.is_empty(), m.is_empty());
    prop_assert_eq!(t.storage_len(), m.storage_len());
    prop_assert_eq!(t.bytes_in_use(), m.bytes_in_use(), "bytes in use");
    prop_assert!(t.bytes_in_use() <= t.storage_len());
    Ok(())
}

/// The table's snapshot, in a buffer of its `max_snapshot_len`, which must suffice; one byte
/// less must be refused with the exact length.
fn snapshot_of<S: AsRef<[u8]> + AsMut<[u8]>>(
    t: &MigrationTable<S>,
) -> Result<Vec<u8>, TestCaseError> {
    let mut buf = vec![0u8; t.max_snapshot_len()];
    let n = t.snapshot(&mut buf).unwrap();
    prop_assert_eq!(
        t.snapshot(&mut vec![0u8; n - 1]),
        Err(SnapshotError::BufferTooSmall { needed: n })
    );
    buf.truncate(n);
    Ok(buf)
}

/// An update the target of a restore holds before it, so that "unchanged" means something.
fn resident() -> MigrationUpdate {
    MigrationUpdate::Migrated {
        primary_id: McServiceId::new("sip:resident@a.example").unwrap(),
        partner_system: McSystemId::new("b.example").unwrap(),
        partner_id: McServiceId::new("sip:r@b.example").unwrap(),
        security_domain_info: None,
    }
}

/// Runs `steps` on a table over `storage_len` bytes (which held `fill` bytes before) and on
/// the model, comparing the whole table with the model after every step.
fn run_against_model(storage_len: usize, fill: u8, steps: &[Step]) -> Result<Seen, TestCaseError> {
    let mut seen = Seen::default();
    // Every table's storage, allocated up front so each borrow lasts the whole run.
    let mut buffers: Vec<Vec<u8>> = std::iter::once(vec![fill; storage_len + 1])
        .chain(steps.iter().filter_map(|s| match s {
            Step::Restore {
                storage_len,
                offset,
            } => Some(vec![fill.wrapping_add(1); storage_len + offset]),
            Step::Update(_) => None,
        }))
        .collect();
    let mut spare = buffers.iter_mut();
    let first = spare.next().unwrap();
    // Storage at an odd address: any alignment works.
    let mut table = MigrationTable::new(&mut first[1..]).unwrap();
    let mut model = Model::new(storage_len);
    agrees(&table, &model)?;
    for (i, s) in steps.iter().enumerate() {
        match s {
            Step::Update(u) => {
                let before = owned_contents(&table);
                let bytes_before = table.bytes_in_use();
                let got = table.apply(u);
                let want = model_apply(&mut model, u);
                prop_assert_eq!(&got, &want, "step {}: {:?}", i, u);
                match got {
                    Ok(applied) => {
                        seen.evictions += applied.evicted;
                        if applied.evicted > 1 {
                            seen.multiple_evictions += 1;
                        }
                        if applied.change == Change::Removed {
                            seen.removed += 1;
                        }
                        if matches!(applied.change, Change::Inserted | Change::Replaced)
                            && table.bytes_in_use() + 16 > table.storage_len()
                        {
                            seen.tight += 1;
                        }
                    }
                    Err(e) => {
                        if e == TableError::TableFull {
                            seen.table_full += 1;
                        }
                        prop_assert_eq!(owned_contents(&table), before, "step {}: failed", i);
                        prop_assert_eq!(table.bytes_in_use(), bytes_before);
                    }
                }
            }
            Step::Restore {
                storage_len,
                offset,
            } => {
                let snapshot = snapshot_of(&table)?;
                let buffer = spare.next().unwrap();
                let mut target = MigrationTable::new(&mut buffer[*offset..]).unwrap();
                let _ = target.apply(&resident());
                let before = owned_contents(&target);
                let bytes_before = target.bytes_in_use();
                let needed = model.bytes_in_use();
                match (target.restore(&snapshot), model.restore_into(*storage_len)) {
                    (Ok(()), Ok(())) => {
                        seen.restored += 1;
                        // The snapshot names no storage length: the same records give the same
                        // bytes whatever the table's storage.
                        prop_assert_eq!(snapshot_of(&target)?, snapshot);
                        table = target;
                    }
                    (Ok(()), Err(_)) => {
                        prop_assert!(
                            false,
                            "step {}: restored {} B into {}",
                            i,
                            needed,
                            storage_len
                        );
                    }
                    (Err(e), model_says) => {
                        prop_assert_eq!(model_says, Err(needed), "step {}: {:?}", i, e);
                        prop_assert_eq!(e, SnapshotError::TableTooSmall { needed });
                        prop_assert!(needed > *storage_len);
                        seen.restore_too_small += 1;
                        prop_assert_eq!(owned_contents(&target), before, "step {}", i);
                        prop_assert_eq!(target.bytes_in_use(), bytes_before);
                    }
                }
            }
        }
        agrees(&table, &model)?;
    }
    Ok(seen)
}

proptest! {
    /// Small storages: the bytes run out, departed visitors are evicted, removals leave holes
    /// and the table compacts.
    #[test]
    fn small_table_agrees_with_a_byte_accounting_model(
        storage_len in 150usize..=700,
        fill in any::<u8>(),
        steps in proptest::collection::vec(step(900), 0..100),
    ) {
        run_against_model(storage_len, fill, &steps)?;
    }

    /// A roomy storage: nothing is evicted, every rule but the bytes is exercised.
    #[test]
    fn roomy_table_agrees_with_a_byte_accounting_model(
        fill in any::<u8>(),
        steps in proptest::collection::vec(step(8192), 0..100),
    ) {
        run_against_model(8192, fill, &steps)?;
    }
}

/// The model's numbers (the test kit's) are the crate's documented constants.
#[test]
fn model_constants_are_the_documented_ones() {
    assert_eq!(table::RECORD_HEADER_LEN, HEADER);
    assert_eq!(table::BUCKET_LEN, BUCKET);
    assert_eq!(table::MIN_STORAGE_LEN, 4 * BUCKET);
    for r in 0..10 {
        assert_eq!(table::buckets_for(r), buckets_for(r));
    }
    assert_eq!(
        MigrationTable::new(vec![0u8; 31]).map(|_| ()),
        Err(StorageError::TooSmall { needed: 32 })
    );
}

/// The small-storage property reaches what it is there for: over a fixed set of random runs,
/// records are evicted, updates are refused as `TableFull`, storage is filled to its last bytes,
/// and restores both succeed and are refused as too small.
#[test]
fn small_table_runs_reach_eviction_full_tables_and_refused_restores() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let strategy = (
        150usize..=700,
        any::<u8>(),
        proptest::collection::vec(step(900), 0..100),
    );
    let mut total = Seen::default();
    for _ in 0..64 {
        let (len, fill, steps) = strategy.new_tree(&mut runner).unwrap().current();
        let seen = run_against_model(len, fill, &steps).unwrap();
        total.evictions += seen.evictions;
        total.multiple_evictions += seen.multiple_evictions;
        total.table_full += seen.table_full;
        total.removed += seen.removed;
        total.tight += seen.tight;
        total.restored += seen.restored;
        total.restore_too_small += seen.restore_too_small;
    }
    assert!(total.evictions > 0, "{total:?}");
    assert!(total.multiple_evictions > 0, "{total:?}");
    assert!(total.table_full > 0, "{total:?}");
    assert!(total.removed > 0, "{total:?}");
    assert!(total.tight > 0, "{total:?}");
    assert!(total.restored > 0, "{total:?}");
    assert!(total.restore_too_small > 0, "{total:?}");
}

proptest! {
    #[test]
    fn snapshot_restore_snapshot_is_identical(
        storage_len in 150usize..=1200,
        updates in proptest::collection::vec(table_update(), 0..40),
    ) {
        let mut table = MigrationTable::new(vec![0u8; storage_len]).unwrap();
        for u in &updates {
            let _ = table.apply(u);
        }
        let first = snapshot_of(&table)?;
        let mut restored = MigrationTable::new(vec![0x5Au8; storage_len]).unwrap();
        restored.restore(&first).unwrap();
        prop_assert_eq!(owned_contents(&restored), owned_contents(&table));
        prop_assert_eq!(restored.bytes_in_use(), table.bytes_in_use());
        prop_assert_eq!(snapshot_of(&restored)?, first);
        // The restored table evicts in the same order as the original, and fills up alike.
        for k in 0..8u8 {
            let u = MigrationUpdate::Migrated {
                primary_id: McServiceId::new(&format!("sip:fill{k}@a.example")).unwrap(),
                partner_system: McSystemId::new("b.example").unwrap(),
                partner_id: McServiceId::new("sip:x@b.example").unwrap(),
                security_domain_info: None,
            };
            prop_assert_eq!(table.apply(&u), restored.apply(&u));
            prop_assert_eq!(owned_contents(&restored), owned_contents(&table));
        }
    }

    #[test]
    fn restore_of_arbitrary_bytes_never_panics_and_fails_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..300), prefix in any::<bool>()) {
        let mut table = MigrationTable::new(vec![0u8; 512]).unwrap();
        table.apply(&MigrationUpdate::VisitorRegistered {
            local_id: McServiceId::new("sip:v@a").unwrap(),
            primary_id: McServiceId::new("sip:p@b").unwrap(),
            primary_system: McSystemId::new("b").unwrap(),
            primary_security_domain_info: None,
        }).unwrap();
        let before = owned_contents(&table);
        let mut input = if prefix { b"MCXS\x02".to_vec() } else { Vec::new() };
        input.extend(bytes);
        if table.restore(&input).is_err() {
            prop_assert_eq!(owned_contents(&table), before);
        }
        prop_assert!(table.bytes_in_use() <= table.storage_len());
    }
}
