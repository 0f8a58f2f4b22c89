use super::*;
use crate::message::Migration;
use crate::testutil::*;
use std::format;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

type Table = ArrayTable<4096>;

fn moved_on<'a>(primary: &'a str, partner: &'a str) -> MigrationUpdate<'a> {
    MigrationUpdate::MovedOn(Migration {
        primary_id: id(primary),
        partner_system: system(SYSTEM_C),
        partner_id: id(partner),
        security_domain_info: Some(sdi(KMS_C)),
    })
}

fn returned(primary: &str) -> MigrationUpdate<'_> {
    MigrationUpdate::Returned {
        primary_id: id(primary),
    }
}

/// The table's records as text, in key order: what two tables must agree on.
fn contents<S: TableStorage>(t: &MigrationTable<S>) -> Vec<(String, String)> {
    let mut v: Vec<_> = t
        .iter()
        .map(|(k, r)| (k.as_str().to_string(), format!("{r:?}")))
        .collect();
    v.sort();
    v
}

/// Bytes the record an update writes takes in the table.
fn record_bytes(update: &MigrationUpdate<'_>) -> usize {
    let mut strings: [&[u8]; 4] = [&[]; 4];
    fields(update, &mut strings).unwrap();
    store::record_len(strings.map(<[u8]>::len))
}

/// A table over exactly the bytes `records` records of `record_len` bytes need.
fn tight(records: usize, record_len: usize) -> MigrationTable<Vec<u8>> {
    let len = records * record_len + buckets_for(records) * BUCKET_LEN;
    MigrationTable::new(vec![0xA5; len]).unwrap()
}

#[test]
fn primary_side_migrated_record_maps_primary_id_to_partner_id_and_sdi() {
    let mut t = Table::EMPTY;
    let applied = t
        .apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B)))
        .unwrap();
    assert_eq!(
        applied,
        Applied {
            change: Change::Inserted,
            evicted: 0
        }
    );
    let Some(Record::MigratedAway(r)) = t.lookup(USER2_PRIMARY) else {
        panic!()
    };
    assert_eq!(r.partner_system, SYSTEM_B);
    assert_eq!(r.partner_id, USER2_AT_B);
    assert_eq!(
        r.security_domain_info.map(|s| s.kms_uri.as_str()),
        Some(KMS_B)
    );
    assert_eq!(t.lookup(USER2_AT_B), None, "keyed by the primary ID only");
}

#[test]
fn migrated_again_replaces_the_record() {
    let mut t = Table::EMPTY;
    t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
        .unwrap();
    let applied = t
        .apply(&migrated(
            USER2_PRIMARY,
            SYSTEM_C,
            USER2_AT_C_TEL,
            Some(KMS_C),
        ))
        .unwrap();
    assert_eq!(applied.change, Change::Replaced);
    assert_eq!(t.len(), 1);
    assert!(
        matches!(t.lookup(USER2_PRIMARY), Some(Record::MigratedAway(r)) if r.partner_id == USER2_AT_C_TEL)
    );
}

#[test]
fn moved_on_replaces_a_migrated_record_and_needs_one() {
    let mut t = Table::EMPTY;
    assert_eq!(
        t.apply(&moved_on(USER2_PRIMARY, USER2_AT_C_TEL)),
        Err(TableError::NotMigrated)
    );
    assert!(t.is_empty());
    t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B)))
        .unwrap();
    assert_eq!(
        t.apply(&moved_on(USER2_PRIMARY, USER2_AT_C_TEL))
            .unwrap()
            .change,
        Change::Replaced
    );
    let Some(Record::MigratedAway(r)) = t.lookup(USER2_PRIMARY) else {
        panic!()
    };
    assert_eq!(
        (r.partner_system.as_str(), r.partner_id.as_str()),
        (SYSTEM_C, USER2_AT_C_TEL)
    );
    assert_eq!(
        r.security_domain_info.map(|s| s.kms_uri.as_str()),
        Some(KMS_C)
    );
}

#[test]
fn returned_removes_the_migrated_record_and_needs_one() {
    let mut t = Table::EMPTY;
    assert_eq!(
        t.apply(&returned(USER2_PRIMARY)),
        Err(TableError::NotMigrated)
    );
    t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
        .unwrap();
    assert_eq!(
        t.apply(&returned(USER2_PRIMARY)).unwrap().change,
        Change::Removed
    );
    assert_eq!(t.lookup(USER2_PRIMARY), None);
    assert_eq!(
        t.bytes_in_use(),
        MIN_STORAGE_LEN,
        "its bytes are free again"
    );
    assert_eq!(
        t.apply(&returned(USER2_PRIMARY)),
        Err(TableError::NotMigrated)
    );
}

#[test]
fn partner_side_visitor_record_maps_local_id_to_primary_with_a_state() {
    let mut t = Table::EMPTY;
    t.apply(&registered(USER2_AT_B, USER2_PRIMARY, Some(KMS_A)))
        .unwrap();
    let Some(Record::Visiting(v)) = t.lookup(USER2_AT_B) else {
        panic!()
    };
    assert_eq!(v.primary_id, USER2_PRIMARY);
    assert_eq!(v.primary_system, SYSTEM_A);
    assert_eq!(v.state, VisitorState::Present);
    assert_eq!(
        t.apply(&departed(USER2_AT_B)).unwrap().change,
        Change::MarkedDeparted
    );
    let Some(Record::Visiting(v)) = t.lookup(USER2_AT_B) else {
        panic!()
    };
    assert_eq!(
        v.state,
        VisitorState::Departed,
        "kept, so a stale call is sent home"
    );
    t.apply(&registered(USER2_AT_B, USER2_PRIMARY, None))
        .unwrap();
    let Some(Record::Visiting(v)) = t.lookup(USER2_AT_B) else {
        panic!()
    };
    assert_eq!(
        v.state,
        VisitorState::Present,
        "a returning visitor is present again"
    );
    assert_eq!(v.primary_security_domain_info, None);
}

#[test]
fn departure_of_an_unknown_visitor_is_an_error_and_changes_nothing() {
    let mut t = Table::EMPTY;
    t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
        .unwrap();
    let before = contents(&t);
    assert_eq!(
        t.apply(&departed(USER2_AT_C_TEL)),
        Err(TableError::NotVisiting)
    );
    assert_eq!(
        t.apply(&departed(USER2_PRIMARY)),
        Err(TableError::NotVisiting)
    );
    assert_eq!(contents(&t), before);
}

#[test]
fn one_id_cannot_hold_both_roles() {
    let mut t = Table::EMPTY;
    t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
        .unwrap();
    t.apply(&registered(USER2_AT_C_TEL, USER1, None)).unwrap();
    let before = contents(&t);
    assert_eq!(
        t.apply(&registered(USER2_PRIMARY, USER1, None)),
        Err(TableError::RoleConflict)
    );
    assert_eq!(
        t.apply(&migrated(USER2_AT_C_TEL, SYSTEM_B, USER2_AT_B, None)),
        Err(TableError::RoleConflict)
    );
    assert_eq!(
        t.apply(&moved_on(USER2_AT_C_TEL, USER2_AT_B)),
        Err(TableError::NotMigrated)
    );
    assert_eq!(
        t.apply(&returned(USER2_AT_C_TEL)),
        Err(TableError::NotMigrated)
    );
    assert_eq!(contents(&t), before);
}

#[test]
fn storage_of_any_alignment_works_and_too_little_is_refused() {
    let mut bytes = [0u8; 1025];
    for start in 0..8 {
        let mut t = MigrationTable::new(&mut bytes[start..]).unwrap();
        t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
            .unwrap();
        assert!(t.lookup(USER2_PRIMARY).is_some());
    }
    assert_eq!(
        MigrationTable::new(&mut bytes[..MIN_STORAGE_LEN - 1]).unwrap_err(),
        StorageError::TooSmall {
            needed: MIN_STORAGE_LEN
        }
    );
    let t = MigrationTable::new(&mut bytes[..MIN_STORAGE_LEN]).unwrap();
    assert!(t.is_empty());
}

#[test]
fn a_table_sized_by_storage_len_holds_that_many_records() {
    // `storage_len(records, string_bytes)` is a promise: any records whose strings average at
    // most `string_bytes` fit, whatever the order of inserts, replacements and removals.
    let update = |n: usize| registered(nth_id(n).as_str(), USER2_PRIMARY, Some(KMS_A));
    let strings = record_bytes(&update(100)) - RECORD_HEADER_LEN;
    for records in [1, 2, 3, 7, 64, 100] {
        let mut t = MigrationTable::new(vec![0u8; storage_len(records, strings)]).unwrap();
        for n in 100..100 + records {
            t.apply(&update(n)).unwrap();
        }
        assert_eq!(t.len(), records);
        assert!(t.bytes_in_use() <= t.storage_len());
    }
}

#[test]
fn a_typical_record_takes_at_most_1_3_times_its_strings_plus_32_bytes() {
    // Issue target: RAM per entry <= 1.3 x its string bytes + 32 B, index included.
    let update = migrated(
        "sip:user0042@mc-a.example",
        SYSTEM_B,
        "sip:visitor-0042@mc-b.example",
        Some(KMS_B),
    );
    let strings = record_bytes(&update) - RECORD_HEADER_LEN;
    let per_record = storage_len(1000, strings) / 1000;
    assert!(
        per_record * 10 <= strings * 13 + 320,
        "{per_record} B for {strings} B of strings"
    );
}

#[test]
fn a_full_table_refuses_a_new_live_record_and_changes_nothing() {
    let update = |n: usize| migrated(nth_id(n).as_str(), SYSTEM_B, USER2_AT_B, None);
    let mut t = tight(4, record_bytes(&update(0)));
    for n in 0..4 {
        t.apply(&update(n)).unwrap();
    }
    let before = contents(&t);
    assert_eq!(t.apply(&update(4)), Err(TableError::TableFull));
    assert_eq!(
        t.apply(&registered(USER2_AT_C_TEL, USER2_PRIMARY, None)),
        Err(TableError::TableFull)
    );
    // A replacement that needs more bytes than are free: refused, the old record kept.
    assert_eq!(
        t.apply(&migrated(
            nth_id(0).as_str(),
            SYSTEM_C,
            USER2_AT_C_TEL,
            Some(KMS_C)
        )),
        Err(TableError::TableFull)
    );
    assert_eq!(contents(&t), before, "nothing live is dropped");
    // A replacement of the same length needs no room.
    assert_eq!(
        t.apply(&migrated(nth_id(0).as_str(), SYSTEM_C, USER2_AT_B, None))
            .unwrap()
            .change,
        Change::Replaced
    );
}

#[test]
fn a_full_table_evicts_the_oldest_departed_records_as_few_as_needed() {
    let visitors = [
        "sip:v1@mc-b.example",
        "sip:v2@mc-b.example",
        "sip:v3@mc-b.example",
    ];
    let visitor = |v: &'static str| registered(v, USER2_PRIMARY, None);
    let live = |n: usize| migrated(nth_id(n).as_str(), SYSTEM_B, USER2_AT_B, None);
    let len = record_bytes(&visitor(visitors[0]));
    // Room for the three visitors and one live record, 8 bytes to spare.
    let cap = 3 * len + record_bytes(&live(0)) + buckets_for(4) * BUCKET_LEN + 8;
    let mut t = MigrationTable::new(vec![0u8; cap]).unwrap();
    for v in visitors {
        t.apply(&visitor(v)).unwrap();
    }
    assert!(t.apply(&live(0)).is_ok());
    // Depart v3 first, then v1: v3 is the oldest departure.
    t.apply(&departed(visitors[2])).unwrap();
    t.apply(&departed(visitors[0])).unwrap();
    // A repeated departure does not refresh its place.
    t.apply(&departed(visitors[2])).unwrap();
    let applied = t.apply(&registered(USER2_AT_C_TEL, USER1, None)).unwrap();
    assert_eq!(
        applied,
        Applied {
            change: Change::Inserted,
            evicted: 1
        }
    );
    assert_eq!(t.lookup(visitors[2]), None, "the oldest departure went");
    assert!(t.lookup(visitors[0]).is_some());
    // USER2_AT_C_TEL is a visitor key now: a role conflict, which evicts nothing.
    let applied = t.apply(&migrated(USER2_AT_C_TEL, SYSTEM_C, USER2_AT_B, None));
    assert_eq!(applied, Err(TableError::RoleConflict));
    assert!(t.lookup(visitors[0]).is_some());
    let applied = t.apply(&live(9)).unwrap();
    assert_eq!(applied.evicted, 1);
    assert_eq!(t.lookup(visitors[0]), None);
    // Only live records remain: the next insert fails and changes nothing.
    let before = contents(&t);
    assert_eq!(t.apply(&live(10)), Err(TableError::TableFull));
    assert_eq!(contents(&t), before);
    assert!(t.iter().all(|(_, r)| r.is_live()));
}

#[test]
fn a_large_record_evicts_several_departed_records_or_none() {
    let small = |n: usize| registered(leak(format!("sip:s{n}@mc-b.example")), USER1, None);
    let big = migrated(
        "sip:a-rather-long-primary-identity-0001@mc-a.example",
        "a-partner-system-with-a-long-name.example",
        "sip:a-rather-long-partner-identity-0001@mc-b.example",
        Some("https://kms.a-partner-system-with-a-long-name.example/kms"),
    );
    let small_len = record_bytes(&small(0));
    let mut t = tight(8, small_len);
    for n in 0..8 {
        t.apply(&small(n)).unwrap();
    }
    // Not enough departed records to make room: refused, nothing evicted.
    t.apply(&departed("sip:s5@mc-b.example")).unwrap();
    let before = contents(&t);
    assert_eq!(t.apply(&big), Err(TableError::TableFull));
    assert_eq!(contents(&t), before);
    for n in [2, 0, 6, 1] {
        t.apply(&departed(&format!("sip:s{n}@mc-b.example")))
            .unwrap();
    }
    // The documented rule: records and an index of two buckets each fit the storage.
    let cap = t.storage_len();
    let needed = (1..=8)
        .find(|k| (8 - k) * small_len + record_bytes(&big) + buckets_for(9 - k) * BUCKET_LEN <= cap)
        .unwrap();
    assert!(needed > 1 && needed <= 5);
    let applied = t.apply(&big).unwrap();
    assert_eq!(applied.evicted, needed);
    // The oldest departures went, in order: s5, s2, s0, s6, s1.
    let order = [5, 2, 0, 6, 1];
    for (i, n) in order.iter().enumerate() {
        let key = format!("sip:s{n}@mc-b.example");
        assert_eq!(t.lookup(&key).is_none(), i < needed, "{key}");
    }
    assert!(t
        .lookup("sip:a-rather-long-primary-identity-0001@mc-a.example")
        .is_some());
}

#[test]
fn free_bytes_split_into_holes_still_take_a_record_that_fits_them() {
    let small = |n: usize| migrated(nth_id(n).as_str(), SYSTEM_B, USER2_AT_B, None);
    let len = record_bytes(&small(10));
    let mut t = tight(8, len);
    for n in 10..18 {
        t.apply(&small(n)).unwrap();
    }
    // Free every other record: four holes, none large enough for a double-length record.
    for n in [10, 12, 14, 16] {
        t.apply(&returned(nth_id(n).as_str())).unwrap();
    }
    let before = contents(&t);
    let double = migrated(
        nth_id(99).as_str(),
        SYSTEM_B,
        leak(format!(
            "sip:{}@mc-b.example",
            "x".repeat(len - RECORD_HEADER_LEN)
        )),
        None,
    );
    assert!(record_bytes(&double) > len && record_bytes(&double) <= 2 * len);
    t.apply(&double).unwrap();
    t.apply(&small(19)).unwrap();
    let after = contents(&t);
    for kept in &before {
        assert!(after.contains(kept), "{kept:?} kept through compaction");
    }
    assert_eq!(t.len(), 6);
    assert!(t.lookup(nth_id(99).as_str()).is_some());
}

#[test]
fn a_replacement_that_grows_moves_the_record_and_keeps_the_rest() {
    let mut t = Table::EMPTY;
    for n in 0..20 {
        t.apply(&migrated(nth_id(n).as_str(), SYSTEM_B, USER2_AT_B, None))
            .unwrap();
    }
    let before = contents(&t);
    t.apply(&migrated(
        nth_id(3).as_str(),
        SYSTEM_C,
        USER2_AT_C_TEL,
        Some(KMS_C),
    ))
    .unwrap();
    let after = contents(&t);
    assert_eq!(after.len(), before.len());
    for ((k0, r0), (k1, r1)) in before.iter().zip(&after) {
        assert_eq!(k0, k1);
        assert_eq!(r0 == r1, k0 != nth_id(3).as_str(), "{k0}");
    }
}

#[test]
fn lookup_finds_records_among_many_and_clear_empties() {
    let strings = record_bytes(&migrated(nth_id(4095).as_str(), SYSTEM_B, USER2_AT_B, None))
        - RECORD_HEADER_LEN;
    let mut t = MigrationTable::new(vec![0u8; storage_len(4096, strings)]).unwrap();
    for n in 0..4096 {
        t.apply(&migrated(nth_id(n).as_str(), SYSTEM_B, USER2_AT_B, None))
            .unwrap();
    }
    assert_eq!(t.len(), 4096);
    for n in 0..4096 {
        assert!(t.lookup(nth_id(n).as_str()).is_some(), "{n}");
    }
    assert!(t.lookup("sip:nobody@mc-a.example").is_none());
    t.clear();
    assert!(t.is_empty());
    assert_eq!(t.lookup(nth_id(0).as_str()), None);
}

#[test]
fn an_update_borrowed_from_wire_bytes_applies_like_the_one_encoded() {
    let mut from_wire = Table::EMPTY;
    let mut built = Table::EMPTY;
    let updates = [
        migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B)),
        registered(USER2_AT_C_TEL, USER1, None),
        moved_on(USER2_PRIMARY, USER2_AT_C_TEL),
        departed(USER2_AT_C_TEL),
        returned(USER2_PRIMARY),
        returned(USER2_PRIMARY),
    ];
    for update in &updates {
        let mut wire = [0u8; MigrationUpdate::MAX_ENCODED_LEN];
        let len = update.encode(&mut wire).unwrap();
        let decoded = MigrationUpdate::decode(&wire[..len]).unwrap();
        assert_eq!(from_wire.apply(&decoded), built.apply(update));
        assert_eq!(contents(&from_wire), contents(&built));
    }
}

#[test]
fn the_lookup_trait_answers_like_the_table() {
    let mut t = Table::EMPTY;
    t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, Some(KMS_B)))
        .unwrap();
    let store: &dyn MigrationLookup = &t;
    let key = |id| McServiceIdRef::new(id).unwrap();
    assert_eq!(store.lookup(key(USER2_PRIMARY)), t.lookup(USER2_PRIMARY));
    assert_eq!(store.lookup(key(USER2_AT_B)), None);
}

/// Updates over a pool of keys, in a small table so that it fills, evicts and compacts.
fn pool_updates() -> impl proptest::strategy::Strategy<Value = Vec<(u8, usize)>> {
    proptest::collection::vec((0u8..5, 0usize..12), 0..160)
}

fn index_stays_consistent(
    storage: usize,
    ops: &[(u8, usize)],
) -> Result<(), proptest::test_runner::TestCaseError> {
    use proptest::prop_assert_eq;
    let pool: Vec<String> = (0..12).map(|n| nth_id(n).as_str().to_string()).collect();
    let mut t = MigrationTable::new(vec![0u8; storage]).unwrap();
    for &(op, n) in ops {
        let key = pool[n].as_str();
        let before = contents(&t);
        let result = match op {
            0 => t.apply(&migrated(key, SYSTEM_B, USER2_AT_B, None)),
            1 => t.apply(&returned(key)),
            2 => t.apply(&registered(key, USER2_PRIMARY, None)),
            3 => t.apply(&migrated(key, SYSTEM_C, USER2_AT_C_TEL, Some(KMS_C))),
            _ => t.apply(&departed(key)),
        };
        if result.is_err() {
            prop_assert_eq!(contents(&t), before);
        }
        prop_assert_eq!(t.iter().count(), t.len());
        for k in &pool {
            let listed = t.iter().any(|(id, _)| id.as_str() == k.as_str());
            prop_assert_eq!(t.lookup(k).is_some(), listed);
        }
        for (key, record) in t.iter() {
            prop_assert_eq!(t.lookup(key.as_str()), Some(record));
        }
        proptest::prop_assert!(t.bytes_in_use() <= t.storage_len());
    }
    Ok(())
}

proptest::proptest! {
    #[test]
    fn updates_keep_the_index_consistent_in_a_small_table(ops in pool_updates()) {
        index_stays_consistent(400, &ops)?;
    }

    #[test]
    fn updates_keep_the_index_consistent_in_a_roomy_table(ops in pool_updates()) {
        index_stays_consistent(4096, &ops)?;
    }
}

#[test]
fn garbage_storage_is_cleared_by_new_and_never_panics() {
    let mut t = MigrationTable::new(vec![0xFFu8; 512]).unwrap();
    assert!(t.is_empty());
    assert_eq!(t.lookup(USER2_PRIMARY), None);
    t.apply(&migrated(USER2_PRIMARY, SYSTEM_B, USER2_AT_B, None))
        .unwrap();
    assert_eq!(t.iter().count(), 1);
}
