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

use mcx_migrate::table::{self, Applied, Change, MigrationTable, Record, TableStorage};
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

fn kms_uri() -> impl Strategy<Value = Option<KmsUri>> {
    proptest::option::of("https://[a-z.]{1,30}/[a-z]{0,10}".prop_map(|s| KmsUri::new(&s).unwrap()))
}

fn kind() -> impl Strategy<Value = ServiceKind> {
    prop::sample::select(ServiceKind::ALL.to_vec())
}

/// Which message [`Parts::message`] builds.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Request,
    Redirection(Option<RedirectionReason>),
    Migrated,
    MovedOn,
    Returned,
    VisitorRegistered,
    VisitorDeparted,
}

/// A generated message's identifiers, owned (a strategy's values own their data), and which
/// message borrows them.
#[derive(Debug, Clone)]
struct Parts {
    shape: Shape,
    kind: ServiceKind,
    /// The message's MC service IDs in field order; the first is an update's key.
    ids: [McServiceId; 3],
    system: McSystemId,
    kms: Option<KmsUri>,
    e2ee: bool,
}

impl Parts {
    fn message(&self) -> Message<'_> {
        let [a, b, c] = self.ids.each_ref().map(McServiceId::as_borrowed);
        let system = self.system.as_borrowed();
        let sdi = self.kms.as_ref().map(|k| SecurityDomainInfo {
            kms_uri: k.as_borrowed(),
        });
        match self.shape {
            Shape::Request => Message::Request(PrivateCallRequest {
                service_kind: self.kind,
                calling_party: a,
                target: b,
                e2ee_required: self.e2ee,
                security_domain_info: sdi,
            }),
            Shape::Redirection(reason) => Message::Redirection(PrivateCallRedirection {
                service_kind: self.kind,
                calling_party: a,
                target_primary: b,
                target_migrated: c,
                // Keep the NOTE's rule: E2EE only with security domain information.
                e2ee_required: self.e2ee && sdi.is_some(),
                security_domain_info: sdi,
                reason,
            }),
            Shape::Migrated => Message::MigrationUpdate(MigrationUpdate::Migrated(Migration {
                primary_id: a,
                partner_system: system,
                partner_id: b,
                security_domain_info: sdi,
            })),
            Shape::MovedOn => Message::MigrationUpdate(MigrationUpdate::MovedOn(Migration {
                primary_id: a,
                partner_system: system,
                partner_id: b,
                security_domain_info: sdi,
            })),
            Shape::Returned => {
                Message::MigrationUpdate(MigrationUpdate::Returned { primary_id: a })
            }
            Shape::VisitorRegistered => {
                Message::MigrationUpdate(MigrationUpdate::VisitorRegistered {
                    local_id: a,
                    primary_id: b,
                    primary_system: system,
                    primary_security_domain_info: sdi,
                })
            }
            Shape::VisitorDeparted => {
                Message::MigrationUpdate(MigrationUpdate::VisitorDeparted { local_id: a })
            }
        }
    }

    /// The migration update; only for the update shapes.
    fn update(&self) -> MigrationUpdate<'_> {
        match self.message() {
            Message::MigrationUpdate(u) => u,
            other => panic!("not an update: {other:?}"),
        }
    }
}

/// Parts of `shape`, with the first ID from `key` and the others from `id()`.
fn parts<S: Strategy<Value = McServiceId>>(
    shape: impl Strategy<Value = Shape>,
    key: impl Strategy<Value = McServiceId>,
    id: impl Fn() -> S,
    system: impl Strategy<Value = McSystemId>,
    kms: impl Strategy<Value = Option<KmsUri>>,
) -> impl Strategy<Value = Parts> {
    (shape, kind(), key, id(), id(), system, kms, any::<bool>()).prop_map(
        |(shape, kind, a, b, c, system, kms, e2ee)| Parts {
            shape,
            kind,
            ids: [a, b, c],
            system,
            kms,
            e2ee,
        },
    )
}

/// Any message.
fn message() -> impl Strategy<Value = Parts> {
    let reason = proptest::option::of(prop::sample::select(vec![
        RedirectionReason::TargetMigrated,
        RedirectionReason::TargetNoLongerServed,
    ]));
    // A third each for requests, redirections and updates.
    let shape = prop_oneof![
        5 => Just(Shape::Request),
        5 => reason.prop_map(Shape::Redirection),
        1 => Just(Shape::Migrated),
        1 => Just(Shape::MovedOn),
        1 => Just(Shape::Returned),
        1 => Just(Shape::VisitorRegistered),
        1 => Just(Shape::VisitorDeparted),
    ];
    parts(shape, service_id(), service_id, system_id(), kms_uri())
}

proptest! {
    #[test]
    fn encode_then_decode_round_trips(parts in message()) {
        let msg = parts.message();
        let mut buf = [0u8; MAX_ENCODED_LEN];
        let n = wire::encode_message(&msg, &mut buf).unwrap();
        prop_assert_eq!(wire::decode_message(&buf[..n]).unwrap(), msg);
        let mut frame = [0u8; MAX_FRAME_LEN];
        let f = match &msg {
            Message::Request(m) => m.encode_frame(&mut frame),
            Message::Redirection(m) => m.encode_frame(&mut frame),
            Message::MigrationUpdate(m) => m.encode_frame(&mut frame),
        }.unwrap();
        prop_assert_eq!(wire::decode_frame(&mut frame[..f]).unwrap(), msg);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_accepted_ones_are_valid(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(msg) = wire::decode_message(&bytes) {
            prop_assert!(msg.validate().is_ok());
            // The encoding is canonical: re-encoding gives the same bytes.
            let mut buf = [0u8; MAX_ENCODED_LEN];
            let n = wire::encode_message(&msg, &mut buf).unwrap();
            prop_assert_eq!(&buf[..n], &bytes[..]);
        }
        let _ = PrivateCallRedirection::decode(&bytes);
        let _ = PrivateCallRequest::decode(&bytes);
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
        calling_party: McServiceIdRef::new("sip:a@b").unwrap(),
        target: McServiceIdRef::new("sip:c@d").unwrap(),
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

fn table_kms_uri() -> impl Strategy<Value = Option<KmsUri>> {
    proptest::option::of(
        prop_oneof![
            6 => "https://[a-z.]{1,16}/[a-z]{0,8}",
            1 => "https://[a-z.]{60,110}/[a-z]{0,8}",
        ]
        .prop_map(|s| KmsUri::new(&s).unwrap()),
    )
}

/// Updates of the pool's keys, weighted so that visitors come, depart and are evicted.
fn table_update() -> impl Strategy<Value = Parts> {
    let shape = prop_oneof![
        3 => Just(Shape::Migrated),
        2 => Just(Shape::MovedOn),
        2 => Just(Shape::Returned),
        4 => Just(Shape::VisitorRegistered),
        3 => Just(Shape::VisitorDeparted),
    ];
    parts(
        shape,
        table_key(),
        table_service_id,
        table_system_id(),
        table_kms_uri(),
    )
}

/// One step of a sequence run on a table and on the model.
#[derive(Debug, Clone)]
enum Step {
    /// Apply the update to both.
    Update(Box<Parts>),
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
    /// Updates that compacted the storage: some other record's bytes moved.
    compacted: usize,
}

/// Where each record's key lies in the storage: the table hands out identifiers borrowed from
/// its bytes, so a record that moved (compaction) has another address.
fn key_addresses<S: TableStorage>(table: &MigrationTable<S>) -> Vec<(String, usize)> {
    table
        .iter()
        .map(|(key, _)| (key.as_str().to_owned(), key.as_str().as_ptr() as usize))
        .collect()
}

/// The kit's model of the documented policy, on the pool's keys.
type Model = TableModel<OwnedFields, POOL>;

/// The pool slot of a table key.
fn slot(key: &str) -> usize {
    (0..POOL).find(|&n| pool_key(n) == key).unwrap()
}

/// Applies `u` to the model.
fn model_apply(model: &mut Model, u: &MigrationUpdate<'_>) -> Result<Applied, TableError> {
    let (key, update) = Update::of(u);
    model.apply(slot(key), key.len(), update)
}

/// The table's records as text, sorted by key: what must not change when an operation fails.
fn owned_contents<S: TableStorage>(t: &MigrationTable<S>) -> Vec<(String, String)> {
    let mut v: Vec<_> = t
        .iter()
        .map(|(k, r)| (k.as_str().to_string(), format!("{r:?}")))
        .collect();
    v.sort();
    v
}

/// The whole table agrees with the model: every record (and no other) by iteration, every pool
/// key by lookup, the record count and the bytes in use.
fn agrees<S: TableStorage>(t: &MigrationTable<S>, m: &Model) -> Result<(), TestCaseError> {
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
fn snapshot_of<S: TableStorage>(t: &MigrationTable<S>) -> Result<Vec<u8>, TestCaseError> {
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
fn resident() -> MigrationUpdate<'static> {
    MigrationUpdate::Migrated(Migration {
        primary_id: McServiceIdRef::new("sip:resident@a.example").unwrap(),
        partner_system: McSystemIdRef::new("b.example").unwrap(),
        partner_id: McServiceIdRef::new("sip:r@b.example").unwrap(),
        security_domain_info: None,
    })
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
            Step::Update(parts) => {
                let u = &parts.update();
                let before = owned_contents(&table);
                let bytes_before = table.bytes_in_use();
                let addresses = key_addresses(&table);
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
                        let now = key_addresses(&table);
                        let moved = addresses.iter().any(|(key, at)| {
                            key != u.key().as_str() && now.iter().any(|(k, a)| k == key && a != at)
                        });
                        if moved {
                            seen.compacted += 1;
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
        MigrationTable::new(&mut [0u8; 31][..]).map(|_| ()),
        Err(StorageError::TooSmall { needed: 32 })
    );
}

/// The small-storage property reaches what it is there for: over a fixed set of random runs,
/// records are evicted, updates are refused as `TableFull`, storage is filled to its last bytes,
/// holes are compacted away (records move), and restores both succeed and are refused as too
/// small.
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
        total.compacted += seen.compacted;
    }
    assert!(total.evictions > 0, "{total:?}");
    assert!(total.multiple_evictions > 0, "{total:?}");
    assert!(total.table_full > 0, "{total:?}");
    assert!(total.removed > 0, "{total:?}");
    assert!(total.tight > 0, "{total:?}");
    assert!(total.restored > 0, "{total:?}");
    assert!(total.restore_too_small > 0, "{total:?}");
    assert!(total.compacted > 0, "{total:?}");
}

proptest! {
    #[test]
    fn snapshot_restore_snapshot_is_identical(
        storage_len in 150usize..=1200,
        updates in proptest::collection::vec(table_update(), 0..40),
    ) {
        let (mut storage, mut other) = (vec![0u8; storage_len], vec![0x5Au8; storage_len]);
        let mut table = MigrationTable::new(&mut storage[..]).unwrap();
        for u in &updates {
            let _ = table.apply(&u.update());
        }
        let first = snapshot_of(&table)?;
        let mut restored = MigrationTable::new(&mut other[..]).unwrap();
        restored.restore(&first).unwrap();
        prop_assert_eq!(owned_contents(&restored), owned_contents(&table));
        prop_assert_eq!(restored.bytes_in_use(), table.bytes_in_use());
        prop_assert_eq!(snapshot_of(&restored)?, first);
        // The restored table evicts in the same order as the original, and fills up alike.
        for k in 0..8u8 {
            let primary_id = format!("sip:fill{k}@a.example");
            let u = MigrationUpdate::Migrated(Migration {
                primary_id: McServiceIdRef::new(&primary_id).unwrap(),
                partner_system: McSystemIdRef::new("b.example").unwrap(),
                partner_id: McServiceIdRef::new("sip:x@b.example").unwrap(),
                security_domain_info: None,
            });
            prop_assert_eq!(table.apply(&u), restored.apply(&u));
            prop_assert_eq!(owned_contents(&restored), owned_contents(&table));
        }
    }

    #[test]
    fn restore_of_arbitrary_bytes_never_panics_and_fails_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..300), prefix in any::<bool>()) {
        let mut storage = [0u8; 512];
        let mut table = MigrationTable::new(&mut storage[..]).unwrap();
        table.apply(&MigrationUpdate::VisitorRegistered {
            local_id: McServiceIdRef::new("sip:v@a").unwrap(),
            primary_id: McServiceIdRef::new("sip:p@b").unwrap(),
            primary_system: McSystemIdRef::new("b").unwrap(),
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
