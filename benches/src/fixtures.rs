//! The users and MC systems of Fig. 10.16.y.3-1, and migration tables / `HashMap`s filled with
//! the same keys and records.
//!
//! Table members are `sip:member-NNNN@mc-a.example` (primary MC system A), each migrated to MC
//! system B as `sip:visitor-NNNN@mc-b.example` with B's KMS as security domain information:
//! [`MEMBER_STRING_BYTES`] string bytes a record. MC service user 2 is member 42.

use std::collections::HashMap;

use mcx_migrate::table::{storage_len, MigratedRecord, MigrationTable};
use mcx_migrate::{
    McServiceIdRef, McSystemIdRef, Migration, MigrationUpdate, PrivateCallRedirection,
    PrivateCallRequest, RedirectionReason, SecurityDomainInfo, ServiceKind,
};

/// MC service user 1 (the caller), user 2's ID assigned by partner MC system B, B and its KMS:
/// the test kit's fixtures of Fig. 10.16.y.3-1.
pub use mcx_testkit::fixtures::{KMS_B, SYSTEM_B, USER1, USER2_AT_B};
/// MC service user 2's ID from its primary MC system A (table member 42: a member's name, not
/// the kit's `sip:user2@mc-a.example`, so that every member's record has the same length).
pub const USER2_PRIMARY: &str = "sip:member-0042@mc-a.example";
/// Index of user 2 among the table members.
pub const USER2_INDEX: usize = 42;

/// String bytes of a member's record (key, partner system, partner ID, KMS URI), the same for
/// members 0 to 9999: 97 bytes, about what typical IDs take.
pub const MEMBER_STRING_BYTES: usize =
    USER2_PRIMARY.len() + SYSTEM_B.len() + USER2_AT_B.len() + KMS_B.len();

/// The table sizes N the table benchmarks (`table_lookup`, `table_update` in
/// `benches/compare.rs`) run at, and the report (`examples/bench_report.rs`) reads.
pub const TABLE_SIZES: [usize; 3] = [16, 256, 4096];

/// Members in server A's migration table (full) in the end-to-end benchmarks (`server` and
/// `client` in `benches/compare.rs`), which the report states.
pub const END_TO_END_MEMBERS: usize = 256;

/// Keys looked up or updated per iteration of a table benchmark, spread evenly over the table:
/// criterion's time per iteration divided by this is the time per key.
pub const KEYS_PER_ITER: usize = 64;

/// A migration table over heap storage, as the benchmarks and tests use it.
pub type Table = MigrationTable<Vec<u8>>;

fn id(s: &str) -> McServiceIdRef<'_> {
    McServiceIdRef::new(s).unwrap_or_else(|e| panic!("fixture ID {s:?}: {e}"))
}

/// The primary MC service ID of table member `i`.
pub fn member_primary(i: usize) -> String {
    format!("sip:member-{i:04}@mc-a.example")
}

/// The MC service ID partner system B assigned to table member `i`.
pub fn member_at_b(i: usize) -> String {
    format!("sip:visitor-{i:04}@mc-b.example")
}

/// Step 1: user 1 calls user 2's primary ID, an MCPTT private call.
pub fn request(e2ee_required: bool) -> PrivateCallRequest<'static> {
    PrivateCallRequest {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: id(USER1),
        target: id(USER2_PRIMARY),
        e2ee_required,
        security_domain_info: None,
    }
}

/// Step 3: the private call redirection server A sends for [`request`]. With security domain
/// information when `with_security_domain_info` (E2EE required, NOTE under Table 10.16.y.2-1),
/// without it otherwise.
pub fn redirection(with_security_domain_info: bool) -> PrivateCallRedirection<'static> {
    PrivateCallRedirection {
        service_kind: ServiceKind::McpttPrivateCall,
        calling_party: id(USER1),
        target_primary: id(USER2_PRIMARY),
        target_migrated: id(USER2_AT_B),
        e2ee_required: with_security_domain_info,
        security_domain_info: with_security_domain_info.then(|| {
            SecurityDomainInfo::new(KMS_B).unwrap_or_else(|e| panic!("fixture KMS URI: {e}"))
        }),
        reason: Some(RedirectionReason::TargetMigrated),
    }
}

/// What a `HashMap` user stores for a member: the migrated-away record with owned strings (the
/// table's [`Record`](mcx_migrate::table::Record) borrows from the table's storage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    /// The partner MC system the user migrated to.
    pub partner_system: String,
    /// The MC service ID the partner system assigned.
    pub partner_id: String,
    /// The KMS URI of the partner ID's security domain, if known.
    pub kms_uri: Option<String>,
}

impl From<MigratedRecord<'_>> for MemberRecord {
    fn from(r: MigratedRecord<'_>) -> Self {
        MemberRecord {
            partner_system: r.partner_system.as_str().to_owned(),
            partner_id: r.partner_id.as_str().to_owned(),
            kms_uri: r
                .security_domain_info
                .map(|s| s.kms_uri.as_str().to_owned()),
        }
    }
}

/// The migration record of table member `i`: migrated to B with B's security domain info.
pub fn member_record(i: usize) -> MemberRecord {
    MemberRecord {
        partner_system: SYSTEM_B.to_owned(),
        partner_id: member_at_b(i),
        kms_uri: Some(KMS_B.to_owned()),
    }
}

/// Table member `i`'s MC service IDs, owned: the migration updates of the member borrow them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its primary MC service ID, [`member_primary`]`(i)`: the key of its record.
    pub primary: String,
    /// The MC service ID partner system B assigned, [`member_at_b`]`(i)`.
    pub at_b: String,
}

/// Table member `i`.
pub fn member(i: usize) -> Member {
    Member {
        primary: member_primary(i),
        at_b: member_at_b(i),
    }
}

impl Member {
    /// The migration update (clause 10.6.3) that records the member as migrated to B, with
    /// B's security domain information.
    pub fn update(&self) -> MigrationUpdate<'_> {
        MigrationUpdate::Migrated(Migration {
            primary_id: id(&self.primary),
            partner_system: McSystemIdRef::new(SYSTEM_B).unwrap_or_else(|e| panic!("fixture: {e}")),
            partner_id: id(&self.at_b),
            security_domain_info: Some(
                SecurityDomainInfo::new(KMS_B).unwrap_or_else(|e| panic!("fixture: {e}")),
            ),
        })
    }

    /// The migration update that records the member's return to its primary MC system.
    pub fn returned(&self) -> MigrationUpdate<'_> {
        MigrationUpdate::Returned {
            primary_id: id(&self.primary),
        }
    }
}

/// Bytes of storage that `records` members fill: [`storage_len`]`(records,`
/// [`MEMBER_STRING_BYTES`]`)`.
pub const fn storage_for(records: usize) -> usize {
    storage_len(records, MEMBER_STRING_BYTES)
}

/// A full migration table: members `0..n` in storage of [`storage_for`]`(n)` bytes, which holds
/// no further member.
pub fn table(n: usize) -> Table {
    table_filled(n, n)
}

/// A migration table with storage for `records` members (see [`storage_for`]) holding members
/// `0..fill`: `table_filled(n, n / 2)` is half full.
///
/// Panics if `fill` members do not fit.
pub fn table_filled(records: usize, fill: usize) -> Table {
    let mut table = MigrationTable::new(vec![0; storage_for(records)])
        .unwrap_or_else(|e| panic!("table storage: {e}"));
    for i in 0..fill {
        table
            .apply(&member(i).update())
            .unwrap_or_else(|e| panic!("filling member {i}: {e}"));
    }
    table
}

/// A `std::collections::HashMap` with the same keys and records as [`table`]`(n)`.
pub fn hash_map(n: usize) -> HashMap<String, MemberRecord> {
    (0..n)
        .map(|i| (member_primary(i), member_record(i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use mcx_migrate::table::Record;
    use mcx_migrate::TableError;

    use super::*;

    #[test]
    fn table_and_hash_map_hold_the_same_records() {
        let t = table(16);
        let m = hash_map(16);
        assert_eq!(t.len(), m.len());
        for (k, v) in &m {
            let Some(Record::MigratedAway(r)) = t.lookup(k) else {
                panic!("{k} is not a migrated-away record of the table");
            };
            assert_eq!(MemberRecord::from(r), *v);
        }
    }

    #[test]
    fn every_member_record_has_the_same_string_bytes() {
        for i in [0, USER2_INDEX, 4095, 9999] {
            let strings = member_primary(i).len() + SYSTEM_B.len() + member_at_b(i).len();
            assert_eq!(strings + KMS_B.len(), MEMBER_STRING_BYTES, "member {i}");
        }
        assert_eq!(MEMBER_STRING_BYTES, 97);
    }

    #[test]
    fn n_members_fill_a_table_sized_for_n() {
        for n in [1, 16, 256] {
            let mut t = table(n);
            assert_eq!(t.len(), n);
            assert!(t.bytes_in_use() <= t.storage_len());
            assert_eq!(
                t.apply(&member(n).update()),
                Err(TableError::TableFull),
                "n = {n}"
            );
            assert_eq!(t.len(), n);
            // Half full: as many more members fit again.
            let mut half = table_filled(n, n / 2);
            for i in n / 2..n {
                half.apply(&member(i).update()).unwrap();
            }
            assert_eq!(half.len(), n);
        }
    }

    #[test]
    fn user2_is_a_table_member() {
        assert_eq!(member_primary(USER2_INDEX), USER2_PRIMARY);
        assert_eq!(member_at_b(USER2_INDEX), USER2_AT_B);
    }
}
